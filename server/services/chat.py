"""Class chat: send (idempotent by ``client_id``), delete, and recent history."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import RowMapping, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.database import upsert_in
from ..db.tables import chat_messages
from ..errors import Forbidden, NotFound
from ..schemas.common import Page, UserRef
from ..schemas.interactions import ChatSendBody, MessageOut
from .access import load_class
from .context import ServiceContext
from .events import append_event
from .gate import Family, enter, new_id
from .ratelimit import Limit

__all__ = ["delete", "history", "send"]

_m = chat_messages.c


def render(row: RowMapping) -> MessageOut:
    return MessageOut(
        id=row["id"],
        user=UserRef(id=row["user_id"], name=row["user_name"], role=row["user_role"]),
        text=row["text"],
        sent_at=row["sent_at"],
    )


async def send(
    ctx: ServiceContext, principal: Principal, class_id: str, body: ChatSendBody
) -> MessageOut:
    """Post a message; the same ``client_id`` again returns the first message, unsent.

    One transaction: the access rules are checked inside it (nothing that
    commits before it can slip between check and insert), then the message
    and its event.  On SQLite that holds the write lock for the rate limit's
    check too, which is in memory unless Redis is configured.
    """
    now = ctx.clock()
    message_id = new_id()
    async with ctx.db.write() as conn:
        actor = await enter(ctx, principal, class_id, family=Family.CHAT, lobby=True, within=conn)
        if body.client_id is not None:
            earlier = await _by_client_id(conn, class_id, actor.user_id, body.client_id)
            if earlier is not None:
                return render(earlier)
        await actor.limit(ctx, Limit.CHAT)
        inserted = (
            await conn.execute(
                _insert_message(conn.dialect.name),
                {
                    "id": message_id,
                    "class_id": class_id,
                    "user_id": actor.user_id,
                    "user_name": principal.name,
                    "user_role": actor.role.value,
                    "text": body.text,
                    "client_id": body.client_id,
                    "sent_at": now,
                },
            )
        ).first()
        if inserted is None:  # the same client_id raced in from another socket
            assert body.client_id is not None
            earlier = await _by_client_id(conn, class_id, actor.user_id, body.client_id)
            assert earlier is not None
            return render(earlier)
        message = MessageOut(id=message_id, user=actor.user, text=body.text, sent_at=now)
        event = await append_event(
            conn, class_id, "chat:message", {"message": message.model_dump(mode="json")}, now=now
        )
    await ctx.broadcaster.publish(event)
    return message


@functools.cache
def _insert_message(dialect: str) -> Any:
    """The idempotent insert (built once per dialect: building costs as much as running it)."""
    return (
        upsert_in(dialect, chat_messages)
        .on_conflict_do_nothing(index_elements=["class_id", "user_id", "client_id"])
        .returning(_m.id)
    )


async def delete(ctx: ServiceContext, principal: Principal, class_id: str, message_id: str) -> None:
    """Hosts delete any message, authors their own."""
    actor = await enter(ctx, principal, class_id, family=Family.CHAT, moderation=True)
    now = ctx.clock()
    async with ctx.db.write() as conn:
        author = await conn.scalar(
            select(_m.user_id).where(
                _m.id == message_id, _m.class_id == class_id, _m.deleted_at.is_(None)
            )
        )
        if author is None:
            raise NotFound("no such message in this class")
        if author != actor.user_id and not actor.is_host:
            raise Forbidden("only the author or a host may delete a message")
        await conn.execute(update(chat_messages).where(_m.id == message_id).values(deleted_at=now))
        event = await append_event(
            conn, class_id, "chat:deleted", {"message_id": message_id}, now=now
        )
    await ctx.broadcaster.publish(event)


async def recent(
    conn: AsyncConnection, class_id: str, *, limit: int, offset: int = 0
) -> list[MessageOut]:
    """The latest ``limit`` messages (after skipping ``offset`` newer ones), oldest first."""
    rows = (
        (
            await conn.execute(
                select(chat_messages)
                .where(_m.class_id == class_id, _m.deleted_at.is_(None))
                .order_by(_m.sent_at.desc(), _m.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )
        .mappings()
        .all()
    )
    return [render(row) for row in reversed(rows)]


async def history(
    ctx: ServiceContext, principal: Principal, class_id: str, page: Page
) -> tuple[list[MessageOut], int]:
    async with ctx.db.read() as conn:
        await load_class(conn, principal, class_id)
        total = int(
            await conn.scalar(
                select(func.count()).where(_m.class_id == class_id, _m.deleted_at.is_(None))
            )
            or 0
        )
        return await recent(conn, class_id, limit=page.limit, offset=page.offset), total


_BY_CLIENT_ID = select(chat_messages).where(
    _m.class_id == bindparam("class_id"),
    _m.user_id == bindparam("user_id"),
    _m.client_id == bindparam("client_id"),
)


async def _by_client_id(
    conn: AsyncConnection, class_id: str, user_id: str, client_id: str
) -> RowMapping | None:
    parameters = {"class_id": class_id, "user_id": user_id, "client_id": client_id}
    return (await conn.execute(_BY_CLIENT_ID, parameters)).mappings().first()
