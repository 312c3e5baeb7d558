"""Letting someone into a class: the one rule for the HTTP join and the socket ``class:join``.

- Membership: the class must exist in the caller's organization (404) and the
  caller teach or attend its course and not have been removed (403).
- State: the meeting (HTTP ``POST .../join``: the provider link and an
  attendance interval) is refused once the class is ``ended`` or ``cancelled``
  (422 ``invalid_state``); the classroom (socket ``class:join``) opens in every
  state, read-only for participants outside ``live`` (see ``gate``).
- Size: ``max_participants`` counts the distinct participants present right
  now, whichever way they came in (the app's join, a classroom socket, the
  provider's attendance), the caller excepted, so a participant already present
  may come back on another device or transport.  Hosts and co-hosts neither
  count nor are limited.  A full class answers 409 ``conflict``.  It is
  checked only while the class can still be joined (not after the end).

Whoever is admitted is remembered as taking part in the class.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import attendance_intervals, class_participants
from ..domain.lifecycle import ClassStatus
from ..domain.roles import ClassRole
from ..errors import Conflict, InvalidState
from .access import ClassAccess, load_class
from .context import ServiceContext
from .users import remember_user

__all__ = ["Entry", "admit", "record_participant"]


class Entry(enum.Enum):
    MEETING = "meeting"  # HTTP join: the provider's link, attendance from the app
    ROOM = "room"  # socket class:join: the live classroom


async def admit(
    ctx: ServiceContext,
    conn: AsyncConnection,
    principal: Principal,
    class_id: str,
    entry: Entry,
    at: datetime,
) -> ClassAccess:
    """Apply the rules above in the caller's write transaction; raise, or record and return."""
    access = await load_class(conn, principal, class_id)
    row = access.row
    status = ClassStatus(row["status"])
    if entry is Entry.MEETING and status.is_final:
        raise InvalidState(f"the class is {status.value}; it cannot be joined")
    limit = row["max_participants"]
    if limit is not None and not access.role.is_host and not status.is_final:
        await _require_room(conn, class_id, principal.user_id, limit)
    await remember_user(ctx, conn, principal)
    await record_participant(ctx, conn, access, principal.user_id, at)
    return access


async def record_participant(
    ctx: ServiceContext, conn: AsyncConnection, access: ClassAccess, user_id: str, at: datetime
) -> None:
    """Remember that a user took part (first time and latest)."""
    stmt = ctx.db.upsert(class_participants).values(
        class_id=access.class_id,
        user_id=user_id,
        org_id=access.row["org_id"],
        role=access.role.value,
        first_joined_at=at,
        last_seen_at=at,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["class_id", "user_id"],
            set_={"last_seen_at": at, "role": access.role.value},
        )
    )


async def _require_room(
    conn: AsyncConnection, class_id: str, user_id: str, max_participants: int
) -> None:
    iv, cp = attendance_intervals.c, class_participants.c
    participants = select(cp.user_id).where(
        cp.class_id == class_id, cp.role == ClassRole.PARTICIPANT.value
    )
    others = await conn.scalar(
        select(func.count(func.distinct(iv.user_id))).where(
            iv.class_id == class_id,
            iv.ended_at.is_(None),
            iv.user_id != user_id,
            iv.user_id.in_(participants),
        )
    )
    if int(others or 0) >= max_participants:
        raise Conflict(f"the class is full ({max_participants} participants)")
