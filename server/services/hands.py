"""The raised-hand queue: in the database (durable across restarts), ordered by raising time."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import hands
from ..errors import Forbidden
from ..schemas.common import UserRef
from ..schemas.interactions import HandOut
from .context import ServiceContext
from .events import ClassEvent, append_event
from .gate import Family, enter

__all__ = ["lower", "lower_in", "queue", "raise_hand"]

_h = hands.c


async def queue(conn: AsyncConnection, class_id: str) -> list[HandOut]:
    rows = (
        await conn.execute(
            select(hands).where(_h.class_id == class_id).order_by(_h.raised_at, _h.user_id)
        )
    ).mappings()
    return [
        HandOut(
            user=UserRef(id=r["user_id"], name=r["user_name"], role=r["user_role"]),
            raised_at=r["raised_at"],
        )
        for r in rows
    ]


async def raise_hand(ctx: ServiceContext, principal: Principal, class_id: str) -> list[HandOut]:
    """Raising an already raised hand keeps its place and broadcasts nothing."""
    actor = await enter(ctx, principal, class_id, family=Family.HANDS)
    now = ctx.clock()
    async with ctx.db.write() as conn:
        added = (
            await conn.execute(
                ctx.db.upsert(hands)
                .values(
                    class_id=class_id,
                    user_id=actor.user_id,
                    user_name=principal.name,
                    user_role=actor.role.value,
                    raised_at=now,
                )
                .on_conflict_do_nothing(index_elements=["class_id", "user_id"])
            )
        ).rowcount
        current = await queue(conn, class_id)
        event = (
            await append_event(conn, class_id, "hand:queue", _payload(current), now=now)
            if added
            else None
        )
    if event is not None:
        await ctx.broadcaster.publish(event)
    return current


async def lower(
    ctx: ServiceContext, principal: Principal, class_id: str, user_id: str | None
) -> list[HandOut]:
    """Lower one's own hand, or (hosts) anyone's; lowering a lowered hand is harmless."""
    target = user_id or principal.user_id
    actor = await enter(
        ctx, principal, class_id, family=Family.HANDS, moderation=target != principal.user_id
    )
    if target != actor.user_id and not actor.is_host:
        raise Forbidden("only hosts may lower someone else's hand")
    async with ctx.db.write() as conn:
        current, event = await lower_in(ctx, conn, class_id, target)
    if event is not None:
        await ctx.broadcaster.publish(event)
    return current


async def lower_in(
    ctx: ServiceContext, conn: AsyncConnection, class_id: str, user_id: str
) -> tuple[list[HandOut], ClassEvent | None]:
    """Inside a write: drop the hand; the queue and its event if it changed (to publish)."""
    removed = (
        await conn.execute(delete(hands).where(_h.class_id == class_id, _h.user_id == user_id))
    ).rowcount
    current = await queue(conn, class_id)
    if not removed:
        return current, None
    return current, await append_event(
        conn, class_id, "hand:queue", _payload(current), now=ctx.clock()
    )


def _payload(current: list[HandOut]) -> dict[str, object]:
    return {"hands": [hand.model_dump(mode="json") for hand in current]}
