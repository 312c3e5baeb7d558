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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.database import upsert_in
from ..db.tables import attendance_intervals, class_participants
from ..domain.lifecycle import ClassStatus
from ..domain.roles import ClassRole
from ..errors import Conflict, InvalidState, LiveclassError
from .access import ClassAccess, load_class
from .context import ServiceContext
from .users import remember_users

__all__ = ["Arrival", "Entry", "admit", "admit_all"]


class Entry(enum.Enum):
    MEETING = "meeting"  # HTTP join: the provider's link, attendance from the app
    ROOM = "room"  # socket class:join: the live classroom


@dataclass(frozen=True, slots=True)
class Arrival:
    principal: Principal
    class_id: str
    at: datetime


async def admit(
    ctx: ServiceContext,
    conn: AsyncConnection,
    principal: Principal,
    class_id: str,
    entry: Entry,
    at: datetime,
) -> ClassAccess:
    """Apply the rules above in the caller's write transaction; raise, or record and return."""
    (outcome,) = await admit_all(ctx, conn, [Arrival(principal, class_id, at)], entry)
    if isinstance(outcome, LiveclassError):
        raise outcome
    return outcome


async def admit_all(
    ctx: ServiceContext, conn: AsyncConnection, arrivals: Sequence[Arrival], entry: Entry
) -> list[ClassAccess | LiveclassError]:
    """:func:`admit` for many arrivals in one transaction: each is judged on its own, in
    order; who was admitted is recorded with one ``executemany`` per table."""
    outcomes: list[ClassAccess | LiveclassError] = []
    for one in arrivals:
        try:
            outcomes.append(await _judge(conn, one.principal, one.class_id, entry))
        except LiveclassError as exc:
            outcomes.append(exc)
    admitted = [
        (one, access)
        for one, access in zip(arrivals, outcomes, strict=True)
        if isinstance(access, ClassAccess)
    ]
    await remember_users(ctx, conn, [one.principal for one, _ in admitted])
    await _record_participants(conn, admitted)
    return outcomes


async def _judge(
    conn: AsyncConnection, principal: Principal, class_id: str, entry: Entry
) -> ClassAccess:
    access = await load_class(conn, principal, class_id)
    row = access.row
    status = ClassStatus(row["status"])
    if entry is Entry.MEETING and status.is_final:
        raise InvalidState(f"the class is {status.value}; it cannot be joined")
    limit = row["max_participants"]
    if limit is not None and not access.role.is_host and not status.is_final:
        await _require_room(conn, class_id, principal.user_id, limit)
    return access


async def _record_participants(
    conn: AsyncConnection, admitted: Sequence[tuple[Arrival, ClassAccess]]
) -> None:
    """Remember that users took part (first time and latest); someone admitted twice
    in a batch is one row, first joined at their first arrival."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for one, access in admitted:
        key = (access.class_id, one.principal.user_id)
        first = rows[key]["first_joined_at"] if key in rows else one.at
        rows[key] = {
            "class_id": access.class_id,
            "user_id": one.principal.user_id,
            "org_id": access.row["org_id"],
            "role": access.role.value,
            "first_joined_at": first,
            "last_seen_at": one.at,
        }
    if rows:
        await conn.execute(_participant_upsert(conn.dialect.name), list(rows.values()))


@cache
def _participant_upsert(dialect: str) -> Any:
    """Built once per dialect; a returning participant keeps their first join."""
    insert = upsert_in(dialect, class_participants)
    return insert.on_conflict_do_update(
        index_elements=["class_id", "user_id"],
        set_={"last_seen_at": insert.excluded.last_seen_at, "role": insert.excluded.role},
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
