"""Provider webhook routes (transport checks, then the intake service) and the admins'
view of the inbox."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import Unavailable, bad_field
from ..providers.zoom_webhooks import verify_signature
from ..schemas.webhooks import Accepted, WebhookEventFilter, WebhookEventOut, ZoomWebhookBody
from ..webhooks import admin as webhook_events
from ..webhooks.intake import receive_google, receive_zoom
from .responses import json_response
from .routing import Call, api, read_body
from .state import state_of

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
    state = state_of(request)
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
    receipt = await receive_zoom(
        state.ctx, state.inbox, state.webhook_worker, raw, request.headers, secret=secret
    )
    if isinstance(receipt, Accepted):
        return _accepted(receipt)
    return json_response(receipt)


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
    state = state_of(request)
    await read_body(request, state.ctx.settings.max_body_bytes)  # Calendar sends none
    return _accepted(
        await receive_google(state.ctx, state.inbox, state.webhook_worker, request.headers)
    )


def _accepted(receipt: Accepted) -> Response:
    return json_response({"success": True, "data": receipt.model_dump()})


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
    return await webhook_events.list_events(
        call.ctx, state_of(call.request).inbox, call.principal, call.query
    )


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
    state = state_of(call.request)
    return await webhook_events.replay_event(
        call.ctx, state.inbox, state.webhook_worker, call.principal, int(raw_id)
    )


operations = [zoom_webhook, google_webhook, list_events, replay_event]
