"""Provider webhook intake: what an authenticated delivery becomes (stored, then answered).

The HTTP routes check what only the transport can (body size, Zoom's
signature over the raw bytes) and hand the delivery here.  A delivery is a
row in the inbox before the provider gets its 2xx; a malformed one with a
good signature or channel token is kept for audit (``rejected``) and answered 400.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import NoReturn

import orjson

from ..db.inbox import Inbox, IncomingEvent
from ..db.inbox import kept_headers as kept_headers_of
from ..errors import BadRequest, bad_field
from ..providers.zoom_webhooks import url_validation_response
from ..schemas.text import without_control_characters
from ..schemas.webhooks import Accepted
from ..services.context import ServiceContext
from .google_push import KEPT_HEADERS as KEPT_GOOGLE_HEADERS
from .google_push import channel_org, read_notice
from .worker import WebhookWorker
from .zoom_events import dedup_key, kept_headers

__all__ = ["receive_google", "receive_zoom"]


async def receive_zoom(
    ctx: ServiceContext,
    inbox: Inbox,
    worker: WebhookWorker,
    raw: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
) -> Accepted | dict[str, str]:
    """Store a Zoom event whose signature was verified with ``secret``; an
    ``endpoint.url_validation`` challenge is answered (its response body is
    returned) and not stored."""
    kept = kept_headers(headers)
    try:
        body = orjson.loads(raw)
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            raise ValueError("not a Zoom event object")
    except ValueError as exc:
        text = without_control_characters(raw.decode("utf-8", "replace"))
        malformed = IncomingEvent("zoom", "malformed", dedup_key({}, raw), kept, raw_body=text)
        await _reject(ctx, inbox, malformed, BadRequest(f"malformed Zoom event: {exc}"))
    if body["event"] == "endpoint.url_validation":
        payload = body.get("payload")
        plain = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain, str) or not plain:
            raise bad_field(
                "payload.plainToken", "endpoint.url_validation needs payload.plainToken, a string"
            )
        return url_validation_response(secret, plain)
    # Zoom's text cannot be refused (the meeting happened): it is applied cleaned.
    event = without_control_characters(body)
    return await _accept(
        ctx,
        inbox,
        worker,
        IncomingEvent("zoom", event["event"], dedup_key(event, raw), kept, payload=event),
    )


async def receive_google(
    ctx: ServiceContext, inbox: Inbox, worker: WebhookWorker, headers: Mapping[str, str]
) -> Accepted:
    """A Calendar push notification (headers only).  ``sync`` is acknowledged and not
    stored (``id`` ``None``); ``exists`` and ``not_exists`` are stored for the worker; an
    unknown channel or a wrong token is refused (401) and nothing is stored."""
    async with ctx.db.read() as conn:
        org_id = await channel_org(
            conn, headers.get("x-goog-channel-id"), headers.get("x-goog-channel-token")
        )
    try:
        notice = read_notice(org_id, headers)
    except BadRequest as exc:
        kept = kept_headers_of(headers, KEPT_GOOGLE_HEADERS)
        key = hashlib.sha256(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()
        odd = IncomingEvent("google", "malformed", f"malformed:{key}", kept, org_id=org_id)
        await _reject(ctx, inbox, odd, exc)
    if notice.is_sync:
        return Accepted(id=None, duplicate=False)
    return await _accept(ctx, inbox, worker, notice.event())


async def _accept(
    ctx: ServiceContext, inbox: Inbox, worker: WebhookWorker, event: IncomingEvent
) -> Accepted:
    """Store the event and wake this process's worker."""
    event_id, duplicate = await inbox.accept(event, now=ctx.clock())
    worker.wake()
    return Accepted(id=event_id, duplicate=duplicate)


async def _reject(
    ctx: ServiceContext, inbox: Inbox, event: IncomingEvent, error: BadRequest
) -> NoReturn:
    """Keep a malformed but authenticated delivery for audit, then refuse it."""
    await inbox.reject(event, now=ctx.clock(), reason=error.message[:300])
    raise error
