"""The ``meet.pull`` job: attendance, recordings and transcripts of an ended Meet class.

Meet sends us nothing by itself (its Workspace Events need Pub/Sub), so when
a Google Meet class ends the server queues this job (see
:mod:`server.services.google_jobs`).  It reads, from the Meet REST API, every
conference record of the class's meeting code (``provider_data.meeting_code``)
with its participants and their sessions, its recordings and its transcripts.

* Each participant session becomes one attendance interval with
  ``source="provider"`` and ``source_key`` = the session's resource name, so
  pulling again updates the same rows instead of adding new ones.  Meet names
  a signed-in participant ``users/{id}`` with a display name and never gives
  an email, so every Meet participant is kept as a guest (``guest_key``
  ``google:users/{id}``, or the participant's resource name for anonymous and
  phone users, with the display name); nobody is credited to a student
  because a name looks alike.  A session still open has no end (the report
  closes it at the class's end).
* Recordings (``driveDestination.exportUri``) and transcripts
  (``docsDestination.exportUri``) are stored as ``video`` and ``transcript``
  files keyed by their resource name (stored once, however often pulled).
  Files Meet has not generated yet (no export URI) are skipped: replay the
  job's inbox row once Google has them.

A provider failure raises: the worker retries with backoff and nothing is
stored half-way (the whole pull commits at once).  Google deletes conference
records 30 days after the conference: a replay after that finds nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent, InboxStatus
from ..db.tables import attendance_intervals, live_classes
from ..providers.google_meet import GoogleClient
from ..schemas.text import without_control_characters
from ..services.context import ServiceContext
from ..services.recordings import RecordingFile, store_recording_files
from ..services.reports import finalize_attendance
from .worker import Outcome

__all__ = ["MeetPull"]

PROVIDER_SOURCE = "provider"
_PROVIDER = "google_meet"
_TIME = TypeAdapter(datetime)
_iv = attendance_intervals.c


@dataclass(frozen=True)
class _Session:
    key: str
    guest_key: str
    guest_name: str
    started_at: datetime
    ended_at: datetime | None


@dataclass
class _Pulled:
    sessions: list[_Session] = field(default_factory=list)
    files: list[RecordingFile] = field(default_factory=list)


class MeetPull:
    """Payload ``{class_id}``."""

    def __init__(self, ctx: ServiceContext, client: GoogleClient) -> None:
        self._ctx = ctx
        self._client = client

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent:
        async with self._ctx.db.read() as conn:
            row = await _class(conn, str(event.payload.get("class_id", "")))
        code = (row["provider_data"] or {}).get("meeting_code") if row is not None else None
        if row is None or not code:
            return event
        org_id = row["org_id"]
        pulled = _Pulled()
        async for record in self._client.conference_records(org_id, code):
            name = record["name"]
            async for person in self._client.participants(org_id, name):
                # Google's text is applied cleaned, like Zoom's (see server.schemas.text).
                guest_key, guest_name = _guest(without_control_characters(person))
                async for session in self._client.participant_sessions(org_id, person["name"]):
                    pulled.sessions.append(
                        _Session(
                            key=session["name"],
                            guest_key=guest_key,
                            guest_name=guest_name,
                            started_at=_time(session["startTime"]),
                            ended_at=_time(session["endTime"]) if session.get("endTime") else None,
                        )
                    )
            pulled.files += await _files(
                self._client.recordings(org_id, name), record, "driveDestination", "MP4"
            )
            pulled.files += await _files(
                self._client.transcripts(org_id, name), record, "docsDestination", "TRANSCRIPT"
            )
        return replace(event, prepared=pulled)

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome:
        row = await _class(conn, str(event.payload.get("class_id", "")))
        if row is None:
            return Outcome(InboxStatus.IGNORED, note="no such Google Meet class")
        pulled = event.prepared
        if not isinstance(pulled, _Pulled):
            return Outcome(
                InboxStatus.IGNORED,
                note="the class has no Meet meeting code",
                org_id=row["org_id"],
                class_id=row["id"],
            )
        for session in pulled.sessions:
            await _keep_session(conn, row["id"], session)
        added = await store_recording_files(
            conn, self._ctx, row, pulled.files, now=self._ctx.clock()
        )
        await finalize_attendance(
            conn,
            row["id"],
            at=self._ctx.clock(),
            present_percent=self._ctx.settings.attendance_present_percent,
        )
        return Outcome(
            note=f"{len(pulled.sessions)} session(s), {added} new file(s)",
            org_id=row["org_id"],
            class_id=row["id"],
        )


async def _class(conn: AsyncConnection, class_id: str) -> RowMapping | None:
    return (
        (
            await conn.execute(
                select(live_classes).where(
                    live_classes.c.id == class_id, live_classes.c.provider == _PROVIDER
                )
            )
        )
        .mappings()
        .first()
    )


def _guest(person: dict[str, Any]) -> tuple[str, str]:
    """``(guest_key, display name)``: the stable Google user id when signed in."""
    signed_in = person.get("signedinUser") or {}
    other = person.get("anonymousUser") or person.get("phoneUser") or {}
    name = signed_in.get("displayName") or other.get("displayName") or "Meet guest"
    key = signed_in.get("user") or person["name"]
    return f"google:{key}"[:255], str(name)[:200]


async def _files(
    items: AsyncIterator[dict[str, Any]],
    record: dict[str, Any],
    destination: str,
    file_type: str,
) -> list[RecordingFile]:
    found = []
    async for item in items:
        uri = (item.get(destination) or {}).get("exportUri")
        if not uri:
            continue  # not generated yet
        found.append(
            RecordingFile(
                provider=_PROVIDER,
                provider_file_id=item["name"],
                meeting_uuid=record["name"],
                provider_file_type=file_type,
                recording_type=None,
                file_name=None,
                file_size_bytes=None,
                recording_start=_time(item.get("startTime") or record["startTime"]),
                recording_end=_time(item["endTime"]) if item.get("endTime") else None,
                download_url=uri,
                play_url=uri,
                download_token=None,
            )
        )
    return found


async def _keep_session(conn: AsyncConnection, class_id: str, session: _Session) -> None:
    values = {
        "guest_key": session.guest_key,
        "guest_name": session.guest_name,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
    }
    updated = await conn.execute(
        update(attendance_intervals)
        .where(
            _iv.class_id == class_id,
            _iv.source == PROVIDER_SOURCE,
            _iv.source_key == session.key,
        )
        .values(**values)
    )
    if not updated.rowcount:
        await conn.execute(
            attendance_intervals.insert().values(
                class_id=class_id,
                user_id=None,
                source=PROVIDER_SOURCE,
                source_key=session.key,
                **values,
            )
        )


def _time(value: str) -> datetime:
    return _TIME.validate_python(value)
