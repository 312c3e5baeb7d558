"""Attendance intervals (written by every presence source) and the attendance report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, RowMapping, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import attendance_intervals, enrollments, users
from ..domain.attendance import Interval, grade, summarize
from ..schemas.classes import AttendanceRow, AttendanceSession
from .access import load_hosted_class
from .context import ServiceContext

__all__ = [
    "Opening",
    "attendance_rows",
    "close_intervals",
    "close_presence",
    "online_counts",
    "open_interval",
    "open_intervals",
    "report",
]

_iv = attendance_intervals.c


@dataclass(frozen=True, slots=True)
class Opening:
    """An interval to open for ``user_id`` from ``at``, by ``source`` (``source_key``
    pairs its end with it)."""

    class_id: str
    user_id: str
    source: str
    at: datetime
    source_key: str = ""


async def open_interval(
    conn: AsyncConnection,
    class_id: str,
    *,
    user_id: str,
    source: str,
    at: datetime,
    source_key: str = "",
) -> bool:
    """Open an interval unless this source already has one open; ``True`` if opened."""
    (opened,) = await open_intervals(conn, [Opening(class_id, user_id, source, at, source_key)])
    return opened


async def open_intervals(conn: AsyncConnection, openings: Sequence[Opening]) -> list[bool]:
    """:func:`open_interval` for each opening in order, in one statement that looks for
    those already open and one that opens the rest (a join storm's batch)."""
    if not openings:
        return []
    open_now = {
        (r.class_id, r.user_id, r.source, r.source_key)
        for r in await conn.execute(
            select(_iv.class_id, _iv.user_id, _iv.source, _iv.source_key).where(
                _iv.ended_at.is_(None),
                _iv.class_id.in_(sorted({o.class_id for o in openings})),
                _iv.user_id.in_(sorted({o.user_id for o in openings})),
                _iv.source_key.in_(sorted({o.source_key for o in openings})),
            )
        )
    }
    opened: list[bool] = []
    rows: list[dict[str, object]] = []
    for o in openings:
        key = (o.class_id, o.user_id, o.source, o.source_key)
        fresh = key not in open_now
        opened.append(fresh)
        if fresh:
            open_now.add(key)
            rows.append(
                {
                    "class_id": o.class_id,
                    "user_id": o.user_id,
                    "source": o.source,
                    "source_key": o.source_key,
                    "started_at": o.at,
                }
            )
    if rows:
        await conn.execute(insert(attendance_intervals), rows)
    return opened


async def close_intervals(
    conn: AsyncConnection,
    class_id: str,
    *,
    at: datetime,
    user_id: str | None = None,
    source: str | None = None,
    source_key: str | None = None,
) -> int:
    """Close the matching open intervals at ``at``; returns how many."""
    conditions: list[ColumnElement[bool]] = [_iv.class_id == class_id, _iv.ended_at.is_(None)]
    if user_id is not None:
        conditions.append(_iv.user_id == user_id)
    if source is not None:
        conditions.append(_iv.source == source)
    if source_key is not None:
        conditions.append(_iv.source_key == source_key)
    return await _close_where(conditions, conn, at)


async def _close_where(
    conditions: list[ColumnElement[bool]], conn: AsyncConnection, at: datetime
) -> int:
    # An interval never ends before it starts, even when a late event says so.
    result = await conn.execute(
        update(attendance_intervals).where(*conditions, _iv.started_at <= at).values(ended_at=at)
    )
    late = await conn.execute(
        update(attendance_intervals)
        .where(*conditions, _iv.started_at > at)
        .values(ended_at=_iv.started_at)
    )
    return int(result.rowcount or 0) + int(late.rowcount or 0)


async def close_presence(conn: AsyncConnection, *, key_prefix: str, at: datetime) -> int:
    """Close every open presence interval whose ``source_key`` starts with ``key_prefix``
    (one process's, when it died; everyone's with an empty prefix)."""
    conditions: list[ColumnElement[bool]] = [
        _iv.source == "presence",
        _iv.ended_at.is_(None),
        _iv.source_key.startswith(key_prefix, autoescape=True),
    ]
    return await _close_where(conditions, conn, at)


async def online_counts(conn: AsyncConnection, class_ids: list[str]) -> dict[str, int]:
    """Distinct known users with an open interval, per class."""
    if not class_ids:
        return {}
    rows = await conn.execute(
        select(_iv.class_id, func.count(func.distinct(_iv.user_id)))
        .where(_iv.class_id.in_(class_ids), _iv.ended_at.is_(None), _iv.user_id.is_not(None))
        .group_by(_iv.class_id)
    )
    return {class_id: int(count) for class_id, count in rows.all()}


async def report(ctx: ServiceContext, principal: Principal, class_id: str) -> list[AttendanceRow]:
    """One row per enrolled student and per other attendee, enrolled first, by name."""
    now = ctx.clock()
    async with ctx.db.read() as conn:
        access = await load_hosted_class(conn, principal, class_id)
        return await attendance_rows(
            conn,
            access.row,
            now=now,
            present_percent=ctx.settings.attendance_present_percent,
        )


async def attendance_rows(
    conn: AsyncConnection, row: RowMapping, *, now: datetime, present_percent: float
) -> list[AttendanceRow]:
    """The attendance report of the class ``row``: enrolled students first, by name."""
    class_id = row["id"]
    enrolled = set(
        (
            await conn.scalars(
                select(enrollments.c.user_id).where(
                    enrollments.c.org_id == row["org_id"],
                    enrollments.c.course_id == row["course_id"],
                )
            )
        ).all()
    )
    intervals = (
        await conn.execute(
            select(_iv.user_id, _iv.guest_key, _iv.guest_name, _iv.started_at, _iv.ended_at).where(
                _iv.class_id == class_id
            )
        )
    ).all()
    people: dict[tuple[str, str], list[Interval]] = defaultdict(list)
    guest_names: dict[str, str] = {}
    for user_id, guest_key, guest_name, started, ended in intervals:
        person = ("user", user_id) if user_id is not None else ("guest", guest_key or "")
        people[person].append(Interval(started, ended))
        if user_id is None:
            guest_names[guest_key or ""] = guest_name or "Guest"
    for user_id in enrolled:
        people.setdefault(("user", user_id), [])
    user_ids = [key for kind, key in people if kind == "user"]
    names = dict(
        (
            await conn.execute(
                select(users.c.user_id, users.c.name).where(
                    and_(users.c.org_id == row["org_id"], users.c.user_id.in_(user_ids))
                )
            )
        ).all()
    )
    window_start = row["actual_start"] or row["scheduled_start"]
    window_end = row["actual_end"] or (now if row["status"] == "live" else row["scheduled_end"])
    scheduled = int((row["scheduled_end"] - row["scheduled_start"]).total_seconds())
    report = []
    for (kind, key), spans in people.items():
        summary = summarize(spans, window=(window_start, max(window_start, window_end)), now=now)
        percent, status = grade(
            summary.attended_seconds, scheduled, present_percent=present_percent
        )
        is_user = kind == "user"
        report.append(
            AttendanceRow(
                user_id=key if is_user else None,
                name=names.get(key, key) if is_user else guest_names[key],
                enrolled=is_user and key in enrolled,
                first_join=summary.first_join,
                last_leave=summary.last_leave,
                join_count=summary.join_count,
                attended_seconds=summary.attended_seconds,
                attended_percent=percent,
                status=status.value,
                sessions=[
                    AttendanceSession(start=start, end=end) for start, end in summary.sessions
                ],
            )
        )
    report.sort(key=lambda r: (not r.enrolled, r.name.lower(), r.user_id or ""))
    return report
