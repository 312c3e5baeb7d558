"""Series: classes repeated by an RFC 5545 rule, each with its own provider meeting.

Creating a series makes every occurrence's meeting first, outside any
transaction; if one provider call fails, the meetings already made are
deleted again and nothing is stored.  Then the series and all its classes are
inserted in one transaction (one ``class.scheduled`` webhook per class).

One occurrence is changed or cancelled through the class routes like any
class.  "This and all following" applies a change (or a cancellation) to the
given class and every later one of the series that is still scheduled, in
order; a time change moves each of them by the same local wall-clock shift.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import class_series, live_classes
from ..domain.series import expand
from ..errors import BadRequest, InvalidState, NotFound, bad_field
from ..providers.base import Meeting
from ..schemas.classes import ClassUpdate
from ..schemas.series import SeriesCreate, SeriesOut
from . import classes
from .access import load_class
from .class_meetings import meeting_request
from .class_views import OF_SERIES, ListFilter, list_classes
from .context import ServiceContext

__all__ = ["cancel_following", "create", "get", "update_following"]

_s = class_series.c
_lc = live_classes.c


async def create(ctx: ServiceContext, principal: Principal, body: SeriesCreate) -> SeriesOut:
    await classes.require_scheduler(ctx, principal, body.course_id)
    try:
        times = expand(
            body.rrule,
            body.scheduled_start,
            body.scheduled_end - body.scheduled_start,
            body.timezone,
        )
    except ValueError as exc:
        raise bad_field("rrule", str(exc)) from None
    provider = ctx.providers.get(body.provider or ctx.settings.default_provider)
    series_id = f"ser_{secrets.token_hex(10)}"
    made: list[tuple[dict[str, object], Meeting]] = []
    try:
        for start, end in times:
            occurrence = body.model_copy(update={"scheduled_start": start, "scheduled_end": end})
            values = classes.new_values(principal, occurrence, series_id=series_id)
            meeting = await provider.create_meeting(
                meeting_request(
                    values,
                    body.settings,
                    host_email=principal.email,
                    manual_join_url=body.join_url,
                )
            )
            made.append((values, meeting))
        async with ctx.db.write() as conn:
            await conn.execute(
                insert(class_series).values(
                    id=series_id,
                    org_id=principal.org_id,
                    course_id=body.course_id,
                    rrule=body.rrule,
                    timezone=body.timezone,
                    created_by=principal.user_id,
                    created_at=ctx.clock(),
                )
            )
            for values, meeting in made:
                await classes.store(ctx, conn, principal, dict(values), meeting)
    except BaseException:
        # All or nothing: no meeting of a series that was not stored may remain.
        for _, meeting in made:
            await provider.delete_meeting(meeting, principal.org_id)
        raise
    return await get(ctx, principal, series_id)


async def get(ctx: ServiceContext, principal: Principal, series_id: str) -> SeriesOut:
    async with ctx.db.read() as conn:
        series = await _series(conn, principal, series_id)
        rows = await _occurrences(conn, series_id)
        if rows:
            # The caller must be allowed in the course (admins, mentors, its students).
            await load_class(conn, principal, rows[0]["id"])
        in_series = ListFilter((OF_SERIES,), {"series_id": series_id})
        classes, _ = await list_classes(conn, principal, in_series, limit=len(rows) or 1, offset=0)
    return SeriesOut(
        id=series["id"],
        course_id=series["course_id"],
        rrule=series["rrule"],
        timezone=series["timezone"],
        created_at=series["created_at"],
        classes=classes,
    )


async def update_following(
    ctx: ServiceContext, principal: Principal, series_id: str, class_id: str, body: ClassUpdate
) -> SeriesOut:
    """Apply ``body`` to ``class_id`` and every later scheduled class of the series."""
    anchor, following = await _following(ctx, principal, series_id, class_id)
    shift, duration = _time_change(anchor, body)
    zone = ZoneInfo(anchor["timezone"])
    fields = body.model_dump(exclude_unset=True, exclude={"scheduled_start", "scheduled_end"})
    for row in following:
        changes = dict(fields)
        if shift is not None and duration is not None:
            local = row["scheduled_start"].astimezone(zone).replace(tzinfo=None) + shift
            start = local.replace(tzinfo=zone)
            changes.update(scheduled_start=start, scheduled_end=start + duration)
        await classes.update(ctx, principal, row["id"], ClassUpdate(**changes))
    return await get(ctx, principal, series_id)


async def cancel_following(
    ctx: ServiceContext, principal: Principal, series_id: str, class_id: str
) -> SeriesOut:
    """Cancel ``class_id`` and every later scheduled class of the series."""
    _, following = await _following(ctx, principal, series_id, class_id)
    for row in following:
        await classes.cancel(ctx, principal, row["id"])
    return await get(ctx, principal, series_id)


async def _following(
    ctx: ServiceContext, principal: Principal, series_id: str, class_id: str
) -> tuple[RowMapping, list[RowMapping]]:
    async with ctx.db.read() as conn:
        await _series(conn, principal, series_id)
        rows = await _occurrences(conn, series_id)
    anchor = next((r for r in rows if r["id"] == class_id), None)
    if anchor is None:
        raise NotFound("no such class in this series")
    if anchor["status"] != "scheduled":
        raise InvalidState(f"the class is {anchor['status']}; only scheduled ones change")
    following = [
        r
        for r in rows
        if r["scheduled_start"] >= anchor["scheduled_start"] and r["status"] == "scheduled"
    ]
    return anchor, following


def _time_change(
    anchor: RowMapping, body: ClassUpdate
) -> tuple[timedelta | None, timedelta | None]:
    """The local wall-clock shift of the starts and the new length, when times change."""
    if body.scheduled_start is None and body.scheduled_end is None:
        return None, None
    zone = ZoneInfo(anchor["timezone"])
    start: datetime = body.scheduled_start or anchor["scheduled_start"]
    end: datetime = body.scheduled_end or (
        anchor["scheduled_end"] + (start - anchor["scheduled_start"])
    )
    if end <= start:
        raise BadRequest(
            "scheduled_end must be after scheduled_start",
            details={"scheduled_end": "must be after scheduled_start"},
        )
    shift = start.astimezone(zone).replace(tzinfo=None) - anchor["scheduled_start"].astimezone(
        zone
    ).replace(tzinfo=None)
    return shift, end - start


async def _series(conn: AsyncConnection, principal: Principal, series_id: str) -> RowMapping:
    row = (
        (
            await conn.execute(
                select(class_series).where(_s.id == series_id, _s.org_id == principal.org_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("no such series")
    return row


async def _occurrences(conn: AsyncConnection, series_id: str) -> list[RowMapping]:
    return list(
        (
            await conn.execute(
                select(live_classes)
                .where(_lc.series_id == series_id)
                .order_by(_lc.scheduled_start, _lc.id)
            )
        )
        .mappings()
        .all()
    )
