"""Removing a participant: recorded on ``class_participants`` (checked by every access),
their raised hand dropped, and their sockets taken out of the class on every process."""

from __future__ import annotations

from sqlalchemy import exists, select

from ..auth import Principal
from ..db.tables import class_participants, enrollments
from ..domain.roles import ClassRole
from ..errors import Forbidden, NotFound
from .context import ServiceContext
from .gate import enter
from .hands import lower_in

__all__ = ["remove"]


async def remove(
    ctx: ServiceContext, principal: Principal, class_id: str, user_id: str, reason: str | None
) -> None:
    """Hosts only; the target must be an enrolled participant (hosts cannot be removed)."""
    actor = await enter(ctx, principal, class_id, hosts_only=True)
    row = actor.access.row
    if user_id == row["host_user_id"]:
        raise Forbidden("the class's host cannot be removed")
    now = ctx.clock()
    async with ctx.db.write() as conn:
        enrolled = await conn.scalar(
            select(
                exists().where(
                    enrollments.c.org_id == row["org_id"],
                    enrollments.c.course_id == row["course_id"],
                    enrollments.c.user_id == user_id,
                )
            )
        )
        if not enrolled:
            raise NotFound("no such participant in this class")
        values = {"removed_at": now, "removed_reason": reason}
        await conn.execute(
            ctx.db.upsert(class_participants)
            .values(
                class_id=class_id,
                user_id=user_id,
                org_id=row["org_id"],
                role=ClassRole.PARTICIPANT.value,
                first_joined_at=now,
                last_seen_at=now,
                **values,
            )
            .on_conflict_do_update(index_elements=["class_id", "user_id"], set_=values)
        )
        _, hand_event = await lower_in(ctx, conn, class_id, user_id)
    if hand_event is not None:
        await ctx.broadcaster.publish(hand_event)
    await ctx.broadcaster.remove_user(class_id, user_id, reason)
