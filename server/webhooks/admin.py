"""The admins' view of the webhook inbox: who sees which events, and replaying one."""

from __future__ import annotations

from ..auth import Principal
from ..db.inbox import Inbox, InboxStatus
from ..errors import Forbidden
from ..schemas.webhooks import WebhookEventFilter, WebhookEventOut
from ..services.context import ServiceContext
from .worker import WebhookWorker

__all__ = ["list_events", "replay_event"]


def _scope(ctx: ServiceContext, principal: Principal) -> str | None:
    """The organization whose events an admin sees; ``None`` for the operator org (all)."""
    if not principal.is_admin:
        raise Forbidden("webhook events are for admins")
    operator = ctx.settings.operator_org
    return None if operator and principal.org_id == operator else principal.org_id


async def list_events(
    ctx: ServiceContext, inbox: Inbox, principal: Principal, query: WebhookEventFilter
) -> tuple[list[WebhookEventOut], int]:
    """Stored events, newest first, with the total matching the filter."""
    rows, total = await inbox.list(
        org_id=_scope(ctx, principal),
        status=InboxStatus(query.status) if query.status else None,
        provider=query.provider,
        limit=query.limit,
        offset=query.offset,
    )
    return [WebhookEventOut.model_validate(r) for r in rows], total


async def replay_event(
    ctx: ServiceContext,
    inbox: Inbox,
    worker: WebhookWorker,
    principal: Principal,
    event_id: int,
) -> WebhookEventOut:
    """Queue a finished event of the admin's scope again and wake the worker."""
    row = await inbox.replay(event_id, org_id=_scope(ctx, principal), now=ctx.clock())
    worker.wake()
    return WebhookEventOut.model_validate(row)
