"""Moving a class through its lifecycle, and what each move entails.

Shared by the host routes and the provider webhooks, inside the caller's
transaction; the returned ``class:status`` event is published after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.tables import enrollments, live_classes
from ..domain.lifecycle import ClassStatus
from ..errors import Conflict, NotFound
from ..outbound.outbox import EventType, emit_class
from ..reminders.planner import local_time
from ..settings import Settings
from ..webhooks.google_jobs import enqueue_meet_pull
from .attendance import close_intervals
from .events import ClassEvent, append_event
from .notifications import notify
from .reports import finalize_attendance

__all__ = ["notify_cancellation", "notify_reschedule", "transition_in"]

_lc = live_classes.c
# Providers whose own attendance report is reconciled after the class; attendance.finalized
# is sent then (server/webhooks/zoom_report.py, server/webhooks/google_pull.py).
REPORTING_PROVIDERS = frozenset({"zoom", "google_meet"})
DEFAULT_PRESENT_PERCENT = Settings.model_fields["attendance_present_percent"].default
_OUTBOUND = {
    ClassStatus.LIVE: EventType.CLASS_STARTED,
    ClassStatus.ENDED: EventType.CLASS_ENDED,
    ClassStatus.CANCELLED: EventType.CLASS_CANCELLED,
}


async def transition_in(
    conn: AsyncConnection,
    class_id: str,
    target: ClassStatus,
    *,
    at: datetime,
    present_percent: float = DEFAULT_PRESENT_PERCENT,
) -> ClassEvent:
    """Move a class to ``target`` inside the caller's transaction; publish the event after.

    Shared by the host routes and the provider webhooks.  The update is
    conditional on the status read, so two racing callers cannot both win.
    Reaching a final state closes every open attendance interval; a Google
    Meet class reaching ``ended`` queues its ``meet.pull`` job.
    """
    row = (await conn.execute(select(live_classes).where(_lc.id == class_id))).mappings().first()
    if row is None:
        raise NotFound("no such live class")
    current = ClassStatus(row["status"])
    current.require_move(target)
    values: dict[str, Any] = {"status": target.value, "updated_at": at}
    if target is ClassStatus.CANCELLED:
        values["revision"] = _lc.revision + 1
    if target is ClassStatus.LIVE:
        values["actual_start"] = at
    elif row["actual_start"] is not None:
        values["actual_end"] = max(at, row["actual_start"])
    result = await conn.execute(
        update(live_classes).where(_lc.id == class_id, _lc.status == current.value).values(**values)
    )
    if result.rowcount == 0:
        raise Conflict("the class changed state meanwhile; try again")
    if target.is_final:
        await close_intervals(conn, class_id, at=values.get("actual_end", at))
    if target is ClassStatus.CANCELLED:
        await notify_cancellation(conn, row, at=at)
    if target is ClassStatus.ENDED and row["provider"] == "google_meet":
        # Meet sends no attendance or recording events: pull them once it is over.
        await enqueue_meet_pull(conn, class_id=class_id, org_id=row["org_id"], now=at)
    await emit_class(conn, class_id, _OUTBOUND[target], at=at)
    if target is ClassStatus.ENDED and row["provider"] not in REPORTING_PROVIDERS:
        # Nothing more will come in about who attended: it is final now.
        await finalize_attendance(conn, class_id, at=at, present_percent=present_percent)
    return await append_event(
        conn,
        class_id,
        "class:status",
        {
            "status": target.value,
            "actual_start": values.get("actual_start", row["actual_start"]),
            "actual_end": values.get("actual_end"),
        },
        now=at,
    )


async def notify_reschedule(
    conn: AsyncConnection, row: RowMapping, new_start: datetime, *, at: datetime
) -> None:
    """Tell the enrolled students a class moved (in-app; e-mailed when SMTP is set up)."""
    before = local_time(row["scheduled_start"], row["timezone"])
    after = local_time(new_start, row["timezone"])
    await notify(
        conn,
        org_id=row["org_id"],
        user_ids=await _students(conn, row),
        kind="class_rescheduled",
        class_id=row["id"],
        title=f"Moved: {row['title']}",
        body=f"The live class \u201c{row['title']}\u201d now starts on {after} (was {before}).",
        at=at,
    )


async def _students(conn: AsyncConnection, row: RowMapping) -> list[str]:
    students = await conn.scalars(
        select(enrollments.c.user_id).where(
            enrollments.c.org_id == row["org_id"], enrollments.c.course_id == row["course_id"]
        )
    )
    return list(students.all())


async def notify_cancellation(conn: AsyncConnection, row: RowMapping, *, at: datetime) -> None:
    students = (
        await conn.scalars(
            select(enrollments.c.user_id).where(
                enrollments.c.org_id == row["org_id"], enrollments.c.course_id == row["course_id"]
            )
        )
    ).all()
    start = local_time(row["scheduled_start"], row["timezone"])
    await notify(
        conn,
        org_id=row["org_id"],
        user_ids=list(students),
        kind="class_cancelled",
        class_id=row["id"],
        title=f"Cancelled: {row['title']}",
        body=f"The live class \u201c{row['title']}\u201d scheduled for {start} was cancelled.",
        at=at,
    )

