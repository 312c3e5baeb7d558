"""What each Zoom event does to our classes, attendance and recordings.

Every effect runs inside the worker's transaction together with the inbox
row's move to ``done``, so it happens exactly once however often Zoom
delivers.  Events name meetings by Zoom's numeric id; a meeting no class
holds is ``ignored`` (kept, visible to admins, replayable).

Participants are matched to users by the email their token carried, within
the class's organization; anyone else is kept as a guest under Zoom's
participant key and display name, never credited to a student by a similar
name.  A leave that arrives before its join is kept as an interval of no
length, and stretched back to the join when that arrives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from sqlalchemy import RowMapping, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent, InboxStatus
from ..db.tables import attendance_intervals, live_classes
from ..domain.lifecycle import ClassStatus
from ..services.class_status import transition_in
from ..services.context import ServiceContext
from ..services.recordings import RecordingFile, store_recording_files, tombstone_recordings
from .worker import Outcome
from .zoom_events import ZoomEnvelope
from .zoom_people import PROVIDER_SOURCE, attendee_columns
from .zoom_report import REPORT_JOB, ZoomReportPull, queue_report_pull

__all__ = ["ZoomEffects"]

_ORPHAN = "|leave-first"
_iv = attendance_intervals.c

_NO_PARTICIPANT = Outcome(InboxStatus.IGNORED, note="participant event without a participant")

# Built once: every event looks its class up.
_CLASS_OF_MEETING = select(live_classes).where(
    live_classes.c.provider == "zoom", live_classes.c.provider_meeting_id == bindparam("meeting")
)

Effect = Callable[[AsyncConnection, RowMapping, ZoomEnvelope], Awaitable[Outcome]]


class ZoomEffects:
    def __init__(self, ctx: ServiceContext, report: ZoomReportPull) -> None:
        self._ctx = ctx
        self._report = report
        self._effects: dict[str, Effect] = {
            "meeting.started": self._started,
            "meeting.ended": self._ended,
            "meeting.participant_joined": self._joined,
            "meeting.participant_left": self._left,
            "recording.completed": self._recorded,
            "recording.transcript_completed": self._recorded,
            "recording.trashed": self._recording_gone,
            "recording.deleted": self._recording_gone,
        }

    def register(self, event: str, effect: Effect) -> None:
        self._effects[event] = effect

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent:
        """Only the report job calls Zoom; events carry all they need."""
        return await self._report.prepare(event) if event.event_type == REPORT_JOB else event

    async def locate(self, conn: AsyncConnection, event: ClaimedEvent) -> RowMapping | None:
        """The class whose Zoom meeting the event names, if any."""
        if event.event_type == REPORT_JOB:
            return await self._report.locate(conn, event)
        meeting = event.payload.get("payload", {}).get("object", {}).get("id")
        if meeting is None:
            return None
        found = await conn.execute(_CLASS_OF_MEETING, {"meeting": str(meeting)})
        return found.mappings().first()

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome:
        if event.event_type == REPORT_JOB:
            return await self._report.apply(conn, event)
        effect = self._effects.get(event.event_type)
        if effect is None:
            return Outcome(InboxStatus.IGNORED, note=f"no effect for {event.event_type}")
        try:
            envelope = ZoomEnvelope.model_validate(event.payload)
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"]
            return Outcome(InboxStatus.IGNORED, note=f"payload not understood: {problem}")
        row = await self.locate(conn, event)
        if row is None:
            meeting_id = envelope.payload.object.id
            return Outcome(InboxStatus.IGNORED, note=f"no class holds Zoom meeting {meeting_id}")
        outcome = await effect(conn, row, envelope)
        outcome.org_id, outcome.class_id = row["org_id"], row["id"]
        return outcome

    # -- meetings ------------------------------------------------------------------

    async def _started(self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope) -> Outcome:
        status = ClassStatus(row["status"])
        if status is not ClassStatus.SCHEDULED:
            return Outcome(InboxStatus.IGNORED, note=f"class already {status.value}")
        at = env.payload.object.start_time or self._ctx.clock()
        live = await transition_in(conn, row["id"], ClassStatus.LIVE, at=at, jobs=self._ctx.jobs)
        return Outcome(after_commit=[live])

    async def _ended(self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope) -> Outcome:
        meeting = env.payload.object
        if meeting.uuid:
            # Whatever the class's state, the instance's attendance gets reconciled.
            await queue_report_pull(self._ctx.jobs, conn, row, meeting.uuid, now=self._ctx.clock())
        status = ClassStatus(row["status"])
        if status.is_final:
            return Outcome(InboxStatus.IGNORED, note=f"class already {status.value}")
        end = meeting.end_time or self._ctx.clock()
        events = []
        if status is ClassStatus.SCHEDULED:
            # The start notification was lost; the end still tells when it ran.
            start = min(meeting.start_time or end, end)
            events.append(
                await transition_in(
                    conn, row["id"], ClassStatus.LIVE, at=start, jobs=self._ctx.jobs
                )
            )
        events.append(
            await transition_in(conn, row["id"], ClassStatus.ENDED, at=end, jobs=self._ctx.jobs)
        )
        return Outcome(after_commit=events)

    # -- participants ------------------------------------------------------------------

    async def _joined(self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope) -> Outcome:
        person = env.payload.object.participant
        if person is None:
            return _NO_PARTICIPANT
        at = person.join_time or self._ctx.clock()
        who = await attendee_columns(
            conn, row["org_id"], person.email, person.key, person.user_name
        )
        key = f"zoom:{person.key}"
        orphan = await conn.execute(
            update(attendance_intervals)
            .where(
                _iv.class_id == row["id"],
                _iv.source == PROVIDER_SOURCE,
                _iv.source_key == key + _ORPHAN,
                _iv.ended_at >= at,
            )
            .values(started_at=at, source_key=key)
        )
        if not orphan.rowcount:
            await conn.execute(
                attendance_intervals.insert().values(
                    class_id=row["id"], source=PROVIDER_SOURCE, source_key=key, started_at=at, **who
                )
            )
        return Outcome()

    async def _left(self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope) -> Outcome:
        person = env.payload.object.participant
        if person is None:
            return _NO_PARTICIPANT
        at = person.leave_time or self._ctx.clock()
        key = f"zoom:{person.key}"
        opened = await conn.scalar(
            select(func.max(_iv.id)).where(
                _iv.class_id == row["id"],
                _iv.source == PROVIDER_SOURCE,
                _iv.source_key == key,
                _iv.ended_at.is_(None),
                _iv.started_at <= at,
            )
        )
        if opened is not None:
            await conn.execute(
                update(attendance_intervals).where(_iv.id == opened).values(ended_at=at)
            )
            return Outcome()
        who = await attendee_columns(
            conn, row["org_id"], person.email, person.key, person.user_name
        )
        await conn.execute(
            attendance_intervals.insert().values(
                class_id=row["id"],
                source=PROVIDER_SOURCE,
                source_key=key + _ORPHAN,
                started_at=at,
                ended_at=at,
                **who,
            )
        )
        return Outcome(note="leave arrived before its join")

    # -- recordings ----------------------------------------------------------------------

    async def _recorded(self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope) -> Outcome:
        meeting = env.payload.object
        files = [
            RecordingFile(
                provider="zoom",
                provider_file_id=f.id,
                meeting_uuid=meeting.uuid,
                provider_file_type=f.file_type,
                recording_type=f.recording_type,
                file_name=f.file_name,
                file_size_bytes=f.file_size,
                recording_start=f.recording_start or meeting.start_time or self._ctx.clock(),
                recording_end=f.recording_end,
                download_url=f.download_url,
                play_url=f.play_url,
                download_token=env.download_token,
            )
            for f in meeting.recording_files
            if f.download_url
        ]
        added = await store_recording_files(conn, self._ctx, row, files, now=self._ctx.clock())
        return Outcome(note=f"{added} new recording file(s)")

    async def _recording_gone(
        self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope
    ) -> Outcome:
        meeting = env.payload.object
        ids = [f.id for f in meeting.recording_files if f.id]
        # Files without an id (CC, TIMELINE) only go with the whole recording.
        whole = not meeting.recording_files or len(ids) < len(meeting.recording_files)
        gone = await tombstone_recordings(
            conn,
            row["id"],
            meeting_uuid=meeting.uuid,
            provider_file_ids=None if whole else ids,
            now=self._ctx.clock(),
        )
        return Outcome(note=f"{gone} recording file(s) marked deleted")
