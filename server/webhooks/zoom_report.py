"""After a Zoom meeting ends: fill attendance that webhooks missed from the participants report.

Zoom retries a webhook three times over about 85 minutes and then drops it,
so an outage on our side can lose joins and leaves.  ``meeting.ended`` queues
a ``zoom.participants_pull`` job for the meeting instance; the job reads the
report (all pages; it needs the ``report:read:list_meeting_participants``
scope) before its transaction opens and adds what webhooks did not bring:

* a user matched by email who has no provider interval in the class gets the
  report's segments;
* guests are added only when no participant webhook reached the class at
  all: the report carries no participant uuid to tell a guest already seen
  from a new one, and a guest must not count twice.

Rows are keyed ``zoom-report:{instance}:{participant}:{join}``, so a replay adds
nothing twice.  A report Zoom cannot give yet (it appears some minutes after
the meeting) fails the job, which the inbox retries with backoff.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent, InboxStatus
from ..db.tables import attendance_intervals, live_classes
from ..providers.zoom import ZoomClient
from ..schemas.text import without_control_characters
from ..services.context import ServiceContext
from ..services.jobs import JobQueue
from ..services.reports import finalize_attendance
from .worker import Outcome
from .zoom_people import PROVIDER_SOURCE, attendee_columns

__all__ = ["REPORT_JOB", "ZoomReportPull", "queue_report_pull"]

REPORT_JOB = "zoom.participants_pull"
_KEY = "zoom-report"
_iv = attendance_intervals.c


class ReportRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = ""
    user_id: str = ""
    name: str = ""
    user_email: str = ""
    join_time: datetime
    leave_time: datetime | None = None


async def queue_report_pull(
    jobs: JobQueue, conn: AsyncConnection, row: RowMapping, meeting_uuid: str, *, now: datetime
) -> None:
    """Queue the pull for one meeting instance (once: the dedup key is the instance)."""
    await jobs.enqueue_job(
        conn,
        provider="zoom",
        kind=REPORT_JOB,
        key=f"{REPORT_JOB}:{meeting_uuid}",
        payload={"class_id": row["id"], "org_id": row["org_id"], "meeting_uuid": meeting_uuid},
        org_id=row["org_id"],
        now=now,
    )


class ZoomReportPull:
    def __init__(self, client: ZoomClient, ctx: ServiceContext) -> None:
        self._client = client
        self._ctx = ctx

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent:
        payload = event.payload
        # Zoom's text is applied cleaned, like its webhooks (see server.schemas.text).
        rows = [
            without_control_characters(row)
            async for row in self._client.participants_report(
                str(payload["org_id"]), str(payload["meeting_uuid"])
            )
        ]
        return replace(event, prepared=rows)

    async def locate(self, conn: AsyncConnection, event: ClaimedEvent) -> RowMapping | None:
        return (
            (
                await conn.execute(
                    select(live_classes).where(live_classes.c.id == event.payload.get("class_id"))
                )
            )
            .mappings()
            .first()
        )

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome:
        klass = await self.locate(conn, event)
        if klass is None:
            return Outcome(InboxStatus.IGNORED, note="the class no longer exists")
        try:
            report = [ReportRow.model_validate(r) for r in _rows(event.prepared)]
        except ValidationError as exc:
            return Outcome(
                InboxStatus.IGNORED, note=f"report not understood: {exc.errors()[0]['msg']}"
            )
        seen = (
            await conn.execute(
                select(_iv.user_id, _iv.source_key).where(
                    _iv.class_id == klass["id"], _iv.source == PROVIDER_SOURCE
                )
            )
        ).all()
        users_seen = {user_id for user_id, _ in seen if user_id is not None}
        keys_seen = {key for _, key in seen}
        any_webhook = any(not key.startswith(_KEY) for key in keys_seen)
        instance = str(event.payload["meeting_uuid"])
        added = 0
        for row in report:
            participant = row.user_id or row.id or row.name
            key = f"{_KEY}:{instance}:{participant}:{row.join_time.isoformat()}"
            if key in keys_seen:
                continue
            who = await attendee_columns(
                conn, klass["org_id"], row.user_email, participant, row.name
            )
            is_guest = who["user_id"] is None
            if (is_guest and any_webhook) or (not is_guest and who["user_id"] in users_seen):
                continue
            await conn.execute(
                attendance_intervals.insert().values(
                    class_id=klass["id"],
                    source=PROVIDER_SOURCE,
                    source_key=key,
                    started_at=row.join_time,
                    ended_at=max(row.leave_time or row.join_time, row.join_time),
                    **who,
                )
            )
            keys_seen.add(key)
            added += 1
        await finalize_attendance(
            conn,
            klass["id"],
            at=self._ctx.clock(),
            present_percent=self._ctx.settings.attendance_present_percent,
        )
        return Outcome(
            note=f"{added} interval(s) added from {len(report)} report row(s)",
            org_id=klass["org_id"],
            class_id=klass["id"],
        )


def _rows(prepared: object) -> list[Any]:
    return list(prepared) if isinstance(prepared, list) else []
