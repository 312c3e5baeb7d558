"""Planning reminders: who is told, when, and exactly once.

For every scheduled class, the reminder for an offset is due once ``start -
offset`` has passed and the class has not started.  When several offsets are
due at once, only the smallest is sent: a class scheduled 5 minutes before
it starts gets the 10-minute reminder, not a "24 hours" one as well.

Recipients are the course's enrolled students, its mentors and the class's
host.  A reminder is claimed by inserting ``(class, user, offset, start)`` into
``class_reminders``; only the process whose insert went in records the in-app
notification (same transaction), so several processes never send it twice.
The planned start is part of the key: a class that moves is reminded again
for its new time.  Cancelled, live and ended classes get none.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.database import upsert_in
from ..db.tables import class_reminders, course_mentors, enrollments, live_classes, notifications
from ..domain.wording import local_time, starts_in
from ..services.context import ServiceContext

__all__ = ["REMINDER_KIND", "ReminderPlanner"]

REMINDER_KIND = "class_reminder"
_lc = live_classes.c


class ReminderPlanner:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def run_once(self) -> int:
        """Send what is due now; returns how many reminders this process sent."""
        offsets = self._ctx.settings.reminder_offsets_minutes
        if not offsets:
            return 0
        now = self._ctx.clock()
        horizon = now + timedelta(minutes=max(offsets))
        async with self._ctx.db.read() as conn:
            upcoming = (
                (
                    await conn.execute(
                        select(live_classes).where(
                            _lc.status == "scheduled",
                            _lc.scheduled_start > now,
                            _lc.scheduled_start <= horizon,
                        )
                    )
                )
                .mappings()
                .all()
            )
        sent = 0
        for row in upcoming:
            due = [m for m in offsets if row["scheduled_start"] - timedelta(minutes=m) <= now]
            if due:
                async with self._ctx.db.write() as conn:
                    sent += await self._remind(conn, row, min(due), now)
        return sent

    async def _remind(
        self, conn: AsyncConnection, row: RowMapping, offset: int, now: datetime
    ) -> int:
        # Read again inside the transaction: it may have moved or been cancelled meanwhile.
        current = (
            (await conn.execute(select(live_classes).where(_lc.id == row["id"]))).mappings().one()
        )
        if current["status"] != "scheduled" or current["scheduled_start"] != row["scheduled_start"]:
            return 0
        people = await _recipients(conn, current)
        if not people:
            return 0
        claim = (
            upsert_in(conn.dialect.name, class_reminders)
            .values(
                [
                    {
                        "class_id": current["id"],
                        "user_id": user_id,
                        "offset_minutes": offset,
                        "starts_at": current["scheduled_start"],
                        "org_id": current["org_id"],
                        "sent_at": now,
                    }
                    for user_id in people
                ]
            )
            .on_conflict_do_nothing()
            .returning(class_reminders.c.user_id)
        )
        claimed = list((await conn.execute(claim)).scalars())
        if not claimed:
            return 0
        when = local_time(current["scheduled_start"], current["timezone"])
        soon = starts_in((current["scheduled_start"] - now).total_seconds())
        await conn.execute(
            notifications.insert(),
            [
                {
                    "id": secrets.token_hex(12),
                    "org_id": current["org_id"],
                    "user_id": user_id,
                    "kind": REMINDER_KIND,
                    "class_id": current["id"],
                    "title": f"Reminder: {current['title']}",
                    "body": f"\u201c{current['title']}\u201d starts {soon}, on {when}.",
                    "created_at": now,
                }
                for user_id in claimed
            ],
        )
        return len(claimed)


async def _recipients(conn: AsyncConnection, row: RowMapping) -> list[str]:
    people = {row["host_user_id"]}
    for table in (enrollments, course_mentors):
        people.update(
            (
                await conn.scalars(
                    select(table.c.user_id).where(
                        table.c.org_id == row["org_id"], table.c.course_id == row["course_id"]
                    )
                )
            ).all()
        )
    return sorted(people)
