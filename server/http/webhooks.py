"""Provider webhook intake (verified, stored, then answered) and the admins' view of the inbox."""

from __future__ import annotations

import hashlib
import time
from typing import Any, NoReturn

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import BadRequest, Forbidden, Unavailable, bad_field
from ..providers.zoom_webhooks import url_validation_response, verify_signature
from ..schemas.text import without_control_characters
from ..schemas.webhooks import Accepted, WebhookEventFilter, WebhookEventOut, ZoomWebhookBody
from ..webhooks.google_push import KEPT_HEADERS as KEPT_GOOGLE_HEADERS
from ..webhooks.google_push import channel_org, read_notice
from ..webhooks.inbox import Inbox, InboxStatus, IncomingEvent
from ..webhooks.inbox import kept_headers as kept_headers_of
from ..webhooks.zoom_events import dedup_key, kept_headers
from .responses import json_response
from .routing import Call, api, read_body

__all__ = ["operations"]

# webhook_events.id is an INTEGER: 32 bits on PostgreSQL.
MAX_EVENT_ID = 2**31 - 1


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
    try:
        body = orjson.loads(raw)
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            raise ValueError("not a Zoom event object")
    except ValueError as exc:
        text = without_control_characters(raw.decode("utf-8", "replace"))
        malformed = IncomingEvent("zoom", "malformed", dedup_key({}, raw), headers, raw_body=text)
        await _reject(request, malformed, BadRequest(f"malformed Zoom event: {exc}"))
    if body["event"] == "endpoint.url_validation":
        payload = body.get("payload")
        plain = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain, str) or not plain:
            raise bad_field(
                "payload.plainToken", "endpoint.url_validation needs payload.plainToken, a string"
            )
        return json_response(url_validation_response(secret, plain))
    # Zoom's text cannot be refused (the meeting happened): it is applied cleaned.
    event = without_control_characters(body)
    return await _accept(
        request,
        IncomingEvent("zoom", event["event"], dedup_key(event, raw), headers, payload=event),
    )


@api(
    "POST",
    "/api/google/webhook",
    summary="Google Calendar push notifications (channel-token-checked, headers only)",
    tag="webhooks",
    response=Accepted,
    public=True,
)
async def google_webhook(request: Request) -> Response:
    """``sync`` is answered 200 and not stored (``id`` null); ``exists`` and
    ``not_exists`` are stored and processed by the worker; an unknown channel
    or a wrong token is 401 and nothing is stored."""
    state = request.app.state
    await read_body(request, state.ctx.settings.max_body_bytes)  # Calendar sends none
    headers = request.headers
    async with state.ctx.db.read() as conn:
        org_id = await channel_org(
            conn, headers.get("x-goog-channel-id"), headers.get("x-goog-channel-token")
        )
    try:
        notice = read_notice(org_id, headers)
    except BadRequest as exc:
        kept = kept_headers_of(headers, KEPT_GOOGLE_HEADERS)
        key = hashlib.sha256(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()
        odd = IncomingEvent("google", "malformed", f"malformed:{key}", kept, org_id=org_id)
        await _reject(request, odd, exc)
    if notice.is_sync:
        return json_response({"success": True, "data": {"id": None, "duplicate": False}})
    return await _accept(request, notice.event())


async def _accept(request: Request, event: IncomingEvent) -> Response:
    """Store the event, wake this process's worker, answer 200 with the row id."""
    state = request.app.state
    inbox: Inbox = state.inbox
    event_id, duplicate = await inbox.accept(event, now=state.ctx.clock())
    state.worker.wake()
    return json_response({"success": True, "data": {"id": event_id, "duplicate": duplicate}})


async def _reject(request: Request, event: IncomingEvent, error: BadRequest) -> NoReturn:
    """Keep a malformed but authenticated delivery for audit, then answer 400."""
    state = request.app.state
    await state.inbox.reject(event, now=state.ctx.clock(), reason=error.message[:300])
    raise error


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
    # Only 0-9 ("²".isdigit() is true, int("٣") is 3), and within the column's 32 bits.
    if not (raw_id.isascii() and raw_id.isdigit()) or int(raw_id) > MAX_EVENT_ID:
        raise bad_field("event_id", f"must be a whole number from 0 to {MAX_EVENT_ID}")
    state = call.request.app.state
    row = await state.inbox.replay(int(raw_id), org_id=_scope(call), now=call.ctx.clock())
    state.worker.wake()
    return WebhookEventOut.model_validate(row)


operations = [zoom_webhook, google_webhook, list_events, replay_event]
