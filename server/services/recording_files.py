"""Storing the recording files a provider reports, for the webhook worker.

Both functions run inside the caller's transaction and are idempotent: files
are keyed by ``(provider, dedup_key)`` so a redelivered event adds nothing,
and deleting only sets ``deleted_at`` (a tombstone) so a late redelivery of
the "completed" event cannot bring a deleted recording back.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import RowMapping, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.tables import recordings
from ..outbound.outbox import EventType, emit_class
from ..schemas.recordings import FileType
from .context import ServiceContext

__all__ = [
    "DOWNLOAD_TOKEN_LIFETIME",
    "RecordingFile",
    "file_type_of",
    "store_recording_files",
    "tombstone_recordings",
]

# Zoom: "the download token only lasts for 24 hours after its creation".
DOWNLOAD_TOKEN_LIFETIME = timedelta(hours=24)

_FILE_TYPES: dict[str, FileType] = {
    "MP4": "video",
    "M4A": "audio",
    "TRANSCRIPT": "transcript",
    "CC": "transcript",
    "VTT": "transcript",
    "CHAT": "chat",
    "CHAT_MESSAGE": "chat",
}
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RecordingFile:
    """One file of a provider's recording event, already parsed.

    Zoom leaves ``id``, ``file_size``, ``recording_type`` and ``play_url``
    out of CC and TIMELINE files, hence the optional fields.
    ``download_token`` is the event's token in clear; it is sealed on storage.
    """

    provider: str
    provider_file_id: str | None
    meeting_uuid: str
    provider_file_type: str
    recording_type: str | None
    file_name: str | None
    file_size_bytes: int | None
    recording_start: datetime
    recording_end: datetime | None
    download_url: str
    play_url: str | None
    download_token: str | None

    @property
    def dedup_key(self) -> str:
        if self.provider_file_id:
            return self.provider_file_id
        start = self.recording_start.astimezone(UTC).isoformat()
        return f"{self.meeting_uuid}|{self.provider_file_type}|{start}"


def file_type_of(provider_file_type: str) -> FileType:
    """MP4 video, M4A audio, TRANSCRIPT/CC/VTT transcript, CHAT/CHAT_MESSAGE chat, else other."""
    return _FILE_TYPES.get(provider_file_type.upper(), "other")


async def store_recording_files(
    conn: AsyncConnection,
    ctx: ServiceContext,
    class_row: RowMapping,
    files: Sequence[RecordingFile],
    *,
    now: datetime,
) -> int:
    """Add the files not stored yet to ``class_row``'s class; returns how many were new.

    A file already stored (even tombstoned) is left exactly as it is, download
    token included; the token is taken to expire 24 hours after ``now``.
    """
    added = 0
    for file in files:
        recording_id = secrets.token_hex(12)
        statement = (
            ctx.db.upsert(recordings)
            .values(
                id=recording_id,
                org_id=class_row["org_id"],
                class_id=class_row["id"],
                provider=file.provider,
                provider_file_id=file.provider_file_id or None,
                meeting_uuid=file.meeting_uuid,
                dedup_key=file.dedup_key,
                file_type=file_type_of(file.provider_file_type),
                provider_file_type=file.provider_file_type,
                recording_type=file.recording_type,
                file_name=file.file_name or _default_name(file),
                file_size_mb=_megabytes(file.file_size_bytes),
                recording_start=file.recording_start,
                recording_end=file.recording_end,
                download_url=file.download_url,
                play_url=file.play_url,
                download_token_sealed=(
                    ctx.secret_box.seal(file.download_token) if file.download_token else None
                ),
                download_token_expires_at=(
                    now + DOWNLOAD_TOKEN_LIFETIME if file.download_token else None
                ),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["provider", "dedup_key"])
        )
        if (await conn.execute(statement)).rowcount:
            added += 1
            await emit_class(
                conn,
                class_row["id"],
                EventType.RECORDING_AVAILABLE,
                at=now,
                extra={"recording": _announced(recording_id, file)},
            )
    return added


def _announced(recording_id: str, file: RecordingFile) -> dict[str, object]:
    """What the platform learns of a new file; links are fetched through the API (grants)."""
    return {
        "id": recording_id,
        "provider": file.provider,
        "file_type": file_type_of(file.provider_file_type),
        "provider_file_type": file.provider_file_type,
        "recording_type": file.recording_type,
        "file_name": file.file_name or _default_name(file),
        "recording_start": file.recording_start,
        "recording_end": file.recording_end,
    }


async def tombstone_recordings(
    conn: AsyncConnection,
    class_id: str,
    *,
    meeting_uuid: str,
    provider_file_ids: Sequence[str] | None,
    now: datetime,
) -> int:
    """Mark a meeting instance's files deleted; returns how many were still live.

    ``provider_file_ids=None`` means every file of ``meeting_uuid``, the id-less
    ones (Zoom CC, TIMELINE) included; a list matches only files with those ids.
    """
    rc = recordings.c
    conditions = [rc.class_id == class_id, rc.meeting_uuid == meeting_uuid, rc.deleted_at.is_(None)]
    if provider_file_ids is not None:
        conditions.append(rc.provider_file_id.in_(list(provider_file_ids)))
    result = await conn.execute(update(recordings).where(*conditions).values(deleted_at=now))
    return int(result.rowcount)


def _default_name(file: RecordingFile) -> str:
    return f"{file.provider_file_type.lower()}-{file.recording_start.astimezone(UTC):%Y%m%d-%H%M%S}"


def _megabytes(size_bytes: int | None) -> float | None:
    return None if size_bytes is None else round(size_bytes / _MIB, 2)
