"""Notifications recorded for users (for example: a class they are enrolled in was cancelled)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.pages import counted_page
from ..db.tables import notifications
from ..errors import NotFound
from ..schemas.notifications import NotificationFilter, NotificationOut
from .context import ServiceContext

__all__ = ["find", "mark_all_read", "mark_read", "notify"]

_n = notifications.c


async def notify(
    conn: AsyncConnection,
    *,
    org_id: str,
    user_ids: list[str],
    kind: str,
    class_id: str | None,
    title: str,
    body: str,
    at: datetime,
) -> None:
    """Record one notification per user, in the caller's transaction."""
    if not user_ids:
        return
    await conn.execute(
        notifications.insert(),
        [
            {
                "id": secrets.token_hex(12),
                "org_id": org_id,
                "user_id": user_id,
                "kind": kind,
                "class_id": class_id,
                "title": title,
                "body": body,
                "created_at": at,
            }
            for user_id in user_ids
        ],
    )


async def find(
    ctx: ServiceContext, principal: Principal, query: NotificationFilter
) -> tuple[list[NotificationOut], int]:
    """The caller's notifications, newest first."""
    conditions = [_n.org_id == principal.org_id, _n.user_id == principal.user_id]
    if query.unread is True:
        conditions.append(_n.read_at.is_(None))
    elif query.unread is False:
        conditions.append(_n.read_at.is_not(None))
    async with ctx.db.read() as conn:
        rows, total = await counted_page(
            conn,
            notifications,
            conditions,
            order_by=[_n.created_at.desc(), _n.id.desc()],
            limit=query.limit,
            offset=query.offset,
        )
    return [NotificationOut.model_validate(dict(r)) for r in rows], total


async def mark_read(
    ctx: ServiceContext, principal: Principal, notification_id: str
) -> NotificationOut:
    now = ctx.clock()
    mine = [
        _n.id == notification_id,
        _n.org_id == principal.org_id,
        _n.user_id == principal.user_id,
    ]
    async with ctx.db.write() as conn:
        await conn.execute(
            update(notifications).where(*mine, _n.read_at.is_(None)).values(read_at=now)
        )
        row = (await conn.execute(select(notifications).where(*mine))).mappings().first()
    if row is None:
        raise NotFound("no such notification")
    return NotificationOut.model_validate(dict(row))


async def mark_all_read(ctx: ServiceContext, principal: Principal) -> int:
    async with ctx.db.write() as conn:
        result = await conn.execute(
            update(notifications)
            .where(
                _n.org_id == principal.org_id,
                _n.user_id == principal.user_id,
                _n.read_at.is_(None),
            )
            .values(read_at=ctx.clock())
        )
    return int(result.rowcount or 0)
