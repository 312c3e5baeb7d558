"""Provider webhook intake (verified, stored, then answered) and the admins' view of the inbox."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import BadRequest, Forbidden, Unavailable
from ..providers.zoom_webhooks import url_validation_response, verify_signature
from ..schemas.webhooks import Accepted, WebhookEventFilter, WebhookEventOut, ZoomWebhookBody
from ..webhooks.inbox import Inbox, InboxStatus, IncomingEvent
from ..webhooks.zoom_events import dedup_key, kept_headers
from .responses import json_response
from .routing import Call, api, read_body

__all__ = ["operations"]


@api(
    "POST",
    "/api/zoom/webhook",
    summary="Zoom event notifications (signature-checked)",
    tag="webhooks",
    body=ZoomWebhookBody,
    response=Accepted,
    public=True,
)
async def zoom_webhook(request: Request) -> Response:
    state = request.app.state
    settings = state.ctx.settings
    raw = await read_body(request, settings.max_body_bytes)
    secret = settings.zoom_webhook_secret
    if not secret:
        # 503, not 4xx: Zoom retries 5xx, so nothing is lost while this is fixed.
        raise Unavailable("Zoom webhooks are not configured (LIVECLASS_ZOOM_WEBHOOK_SECRET)")
    verify_signature(
        secret,
        request.headers.get("x-zm-request-timestamp"),
        request.headers.get("x-zm-signature"),
        raw,
        now=time.time(),
        tolerance=settings.webhook_tolerance_seconds,
    )
    headers = kept_headers(request.headers)
    inbox: Inbox = state.inbox
    now = state.ctx.clock()
    try:
        body = orjson.loads(raw)
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            raise ValueError("not a Zoom event object")
    except ValueError as exc:
        text = raw.decode("utf-8", "replace")
        await inbox.reject(
            IncomingEvent("zoom", "malformed", dedup_key({}, raw), headers, raw_body=text),
            now=now,
            reason=str(exc)[:300],
        )
        raise BadRequest(f"malformed Zoom event: {exc}") from None
    if body["event"] == "endpoint.url_validation":
        plain = (body.get("payload") or {}).get("plainToken")
        if not isinstance(plain, str) or not plain:
            raise BadRequest("endpoint.url_validation without payload.plainToken")
        return json_response(url_validation_response(secret, plain))
    event_id, duplicate = await inbox.accept(
        IncomingEvent("zoom", body["event"], dedup_key(body, raw), headers, payload=body),
        now=now,
    )
    state.worker.wake()
    return json_response({"success": True, "data": {"id": event_id, "duplicate": duplicate}})


def _scope(call: Call[Any, Any]) -> str | None:
    """The organization whose events an admin sees; ``None`` for the operator org (all)."""
    if not call.principal.is_admin:
        raise Forbidden("webhook events are for admins")
    operator = call.ctx.settings.operator_org
    return None if operator and call.principal.org_id == operator else call.principal.org_id


@api(
    "GET",
    "/api/admin/webhook-events",
    summary="Stored provider events (e.g. ?status=failed)",
    tag="webhooks",
    query=WebhookEventFilter,
    response=list[WebhookEventOut],
    paginated=True,
)
async def list_events(call: Call[Any, WebhookEventFilter]) -> tuple[list[WebhookEventOut], int]:
    query = call.query
    rows, total = await call.request.app.state.inbox.list(
        org_id=_scope(call),
        status=InboxStatus(query.status) if query.status else None,
        provider=query.provider,
        limit=query.limit,
        offset=query.offset,
    )
    return [WebhookEventOut.model_validate(r) for r in rows], total


@api(
    "POST",
    "/api/admin/webhook-events/{event_id}/replay",
    summary="Process an event again",
    tag="webhooks",
    response=WebhookEventOut,
)
async def replay_event(call: Call[Any, Any]) -> WebhookEventOut:
    raw_id = call.path("event_id")
    if not raw_id.isdigit():
        raise BadRequest("event ids are numbers", details={"event_id": "must be a number"})
    state = call.request.app.state
    row = await state.inbox.replay(int(raw_id), org_id=_scope(call), now=call.ctx.clock())
    state.worker.wake()
    return WebhookEventOut.model_validate(row)


operations = [zoom_webhook, list_events, replay_event]
