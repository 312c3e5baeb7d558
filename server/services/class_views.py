"""What callers see of classes: rendering rows for a viewer, roles in bulk, participants."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import (
    attendance_intervals,
    class_participants,
    course_mentors,
    enrollments,
    live_classes,
    recordings,
    users,
)
from ..domain.roles import ClassRole
from ..schemas.classes import ClassOut, ParticipantOut
from ..schemas.common import UserRef
from .attendance import online_counts
from .recordings import recorded_classes

__all__ = [
    "IN_ORG",
    "OF_COURSE",
    "OF_SERIES",
    "STARTING_FROM",
    "STARTING_TO",
    "VISIBLE_TO_USER",
    "WITH_STATUS",
    "ClassFacts",
    "ListFilter",
    "class_facts",
    "count_participants",
    "list_classes",
    "participant_passcode",
    "participants_of",
]

_lc = live_classes.c
_iv = attendance_intervals.c


# The columns a ClassOut shows as stored (render copies them), and with what render
# decides from (_SHOWN) all that the list query reads of a class.
_AS_STORED = (
    "id",
    "course_id",
    "title",
    "description",
    "status",
    "scheduled_start",
    "scheduled_end",
    "timezone",
    "actual_start",
    "actual_end",
    "provider",
    "join_url",
    "max_participants",
    "auto_recording",
    "settings",
    "series_id",
    "created_at",
    "updated_at",
)
_SHOWN = [_lc[name] for name in (*_AS_STORED, "host_url", "passcode", "host_user_id", "org_id")]


# What a list of classes may be filtered on: each condition is built once, its
# values are bound per call (``ListFilter.params``; ``org_id`` and ``user_id`` are
# the principal's, bound by list_classes).
IN_ORG = _lc.org_id == bindparam("org_id")
VISIBLE_TO_USER = or_(
    _lc.course_id.in_(
        select(course_mentors.c.course_id).where(
            course_mentors.c.org_id == bindparam("org_id"),
            course_mentors.c.user_id == bindparam("user_id"),
        )
    ),
    _lc.course_id.in_(
        select(enrollments.c.course_id).where(
            enrollments.c.org_id == bindparam("org_id"),
            enrollments.c.user_id == bindparam("user_id"),
        )
    ),
    _lc.host_user_id == bindparam("user_id"),
)
OF_COURSE = _lc.course_id == bindparam("course_id")
OF_SERIES = _lc.series_id == bindparam("series_id")
WITH_STATUS = _lc.status == bindparam("status")
STARTING_FROM = _lc.scheduled_start >= bindparam("starts_from")
STARTING_TO = _lc.scheduled_start <= bindparam("starts_to")


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Conditions from the constants above (all must hold) and the filter values they bind."""

    conditions: tuple[ColumnElement[bool], ...]
    params: dict[str, Any]


async def list_classes(
    conn: AsyncConnection, principal: Principal, where: ListFilter, *, limit: int, offset: int
) -> tuple[list[ClassOut], int]:
    """One page of classes as ``principal`` sees them, and how many match, in one query.

    What :meth:`ClassFacts.render` shows, plus the count, with the per-class facts
    (the caller teaches the course, online count, host's name, recordings) as
    columns of the page's rows instead of five more queries.
    """
    params = {
        **where.params,
        "org_id": principal.org_id,
        "user_id": principal.user_id,
        "limit": limit,
        "offset": offset,
    }
    rows = (await conn.execute(_page_query(where.conditions), params)).mappings().all()
    if rows:
        total = int(rows[0]["matching"])
    elif offset:  # past the end: the window count saw no row, count on its own
        total = int(await conn.scalar(_count_query(where.conditions), params) or 0)
    else:
        total = 0
    items = []
    for row in rows:
        if row["host_user_id"] == principal.user_id:
            role = ClassRole.HOST
        elif principal.is_admin or row["viewer_teaches"]:
            role = ClassRole.CO_HOST
        else:
            role = ClassRole.PARTICIPANT
        names = (
            {}
            if row["host_name"] is None
            else {(row["org_id"], row["host_user_id"]): row["host_name"]}
        )
        items.append(
            render(row, role, int(row["online_count"] or 0), names, bool(row["has_recordings"]))
        )
    return items, total


# Built once per combination of conditions: building this statement and its cache
# key took about as much CPU as running it.
@functools.cache
def _page_query(conditions: tuple[ColumnElement[bool], ...]) -> Select[Any]:
    viewer_teaches = exists().where(
        course_mentors.c.org_id == _lc.org_id,
        course_mentors.c.course_id == _lc.course_id,
        course_mentors.c.user_id == bindparam("user_id"),
    )
    online = (
        select(func.count(func.distinct(_iv.user_id)))
        .where(_iv.class_id == _lc.id, _iv.ended_at.is_(None), _iv.user_id.is_not(None))
        .scalar_subquery()
    )
    host_name = (
        select(users.c.name)
        .where(users.c.org_id == _lc.org_id, users.c.user_id == _lc.host_user_id)
        .scalar_subquery()
    )
    recorded = exists().where(recordings.c.class_id == _lc.id, recordings.c.deleted_at.is_(None))
    return (
        select(
            *_SHOWN,
            viewer_teaches.label("viewer_teaches"),
            online.label("online_count"),
            host_name.label("host_name"),
            recorded.label("has_recordings"),
            func.count().over().label("matching"),
        )
        .where(*conditions)
        .order_by(_lc.scheduled_start, _lc.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.cache
def _count_query(conditions: tuple[ColumnElement[bool], ...]) -> Select[Any]:
    return select(func.count()).select_from(live_classes).where(*conditions)


@dataclass(frozen=True, slots=True)
class ClassFacts:
    """What rendering some classes needs beyond their rows, whoever the viewer is."""

    online: dict[str, int]
    names: dict[tuple[str, str], str]
    recorded: set[str]

    def render(self, row: RowMapping, role: ClassRole) -> ClassOut:
        """The row as a viewer of ``role`` sees it."""
        return render(
            row, role, self.online.get(row["id"], 0), self.names, row["id"] in self.recorded
        )


async def class_facts(conn: AsyncConnection, rows: Sequence[RowMapping]) -> ClassFacts:
    """Online counts, host names and recordings of the classes in ``rows``."""
    ids = [r["id"] for r in rows]
    return ClassFacts(
        online=await online_counts(conn, ids),
        names=await _names(conn, rows),
        recorded=await recorded_classes(conn, ids),
    )


async def _names(conn: AsyncConnection, rows: Sequence[RowMapping]) -> dict[tuple[str, str], str]:
    keys = {(r["org_id"], r["host_user_id"]) for r in rows}
    if not keys:
        return {}
    found = await conn.execute(
        select(users.c.org_id, users.c.user_id, users.c.name).where(
            or_(*(and_(users.c.org_id == o, users.c.user_id == u) for o, u in keys))
        )
    )
    return {(o, u): n for o, u, n in found.all()}


def _taking_part(class_id: str) -> ColumnElement[bool]:
    cp = class_participants.c
    return and_(cp.class_id == class_id, cp.removed_at.is_(None))


async def count_participants(conn: AsyncConnection, class_id: str) -> int:
    """How many took part and were not removed (the total of :func:`participants_of`)."""
    found = await conn.scalar(
        select(func.count()).select_from(class_participants).where(_taking_part(class_id))
    )
    return int(found or 0)


async def participants_of(
    conn: AsyncConnection, class_id: str, *, limit: int, offset: int = 0
) -> list[ParticipantOut]:
    """A page of those who took part, in order of first joining; ``online`` while present.

    Names and presence are read for the page's users in one statement each, not
    joined row by row: PostgreSQL plans a table that grew in the last minute as
    nearly empty, and a lookup per row then scanned the whole table each time
    (200-500 ms for a page of 100 in a class that 2000 had just joined).
    """
    cp = class_participants.c
    page = (
        await conn.execute(
            select(cp.user_id, cp.org_id, cp.role, cp.first_joined_at, cp.last_seen_at)
            .where(_taking_part(class_id))
            .order_by(cp.first_joined_at, cp.user_id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    if not page:
        return []
    user_ids = [r.user_id for r in page]
    names = {
        (r.org_id, r.user_id): r.name
        for r in await conn.execute(
            select(users.c.org_id, users.c.user_id, users.c.name).where(
                users.c.org_id.in_(sorted({r.org_id for r in page})),
                users.c.user_id.in_(user_ids),
            )
        )
    }
    iv = attendance_intervals.c
    online = set(
        await conn.scalars(
            select(iv.user_id)
            .where(iv.class_id == class_id, iv.ended_at.is_(None), iv.user_id.in_(user_ids))
            .distinct()
        )
    )
    return [
        ParticipantOut(
            user=UserRef(
                id=r.user_id, name=names.get((r.org_id, r.user_id), r.user_id), role=r.role
            ),
            online=r.user_id in online,
            first_joined_at=r.first_joined_at,
            last_seen_at=r.last_seen_at,
        )
        for r in page
    ]


def render(
    row: RowMapping,
    role: ClassRole,
    online: int,
    names: dict[tuple[str, str], str],
    has_recordings: bool,
) -> ClassOut:
    host_id = row["host_user_id"]
    is_host = role.is_host
    # One validation of the whole class (settings and host included), not three.
    return ClassOut.model_validate(
        {
            **{name: row[name] for name in _AS_STORED},
            "host_url": row["host_url"] if is_host else None,
            "passcode": row["passcode"] if is_host else participant_passcode(row),
            "host": {
                "id": host_id,
                "name": names.get((row["org_id"], host_id), host_id),
                "role": ClassRole.HOST,
            },
            "your_role": role.value,
            "participant_count": online,
            "is_recorded": has_recordings or row["auto_recording"] == "cloud",
        }
    )


def participant_passcode(row: RowMapping) -> str | None:
    """The passcode, for participants only where the link does not carry it already.

    Zoom embeds it in ``join_url`` as ``pwd=`` (an encrypted form); a link
    without it makes Zoom ask, so participants need it then.
    """
    passcode: str | None = row["passcode"]
    return None if passcode is None or "pwd=" in row["join_url"] else passcode
