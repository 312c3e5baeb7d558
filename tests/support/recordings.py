"""Recordings as the webhook worker would store them, and a recording backend a test steers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select

from server.db.tables import live_classes
from server.errors import ProviderError
from server.services.recordings import RecordingFile, RecordingRef, store_recording_files

from .platform import Platform

__all__ = ["DOWNLOAD_TOKEN", "FakeBackend", "seed_recordings", "zoom_files"]

DOWNLOAD_TOKEN = "zoom-download-token-DO-NOT-LEAK"


def zoom_files(
    meeting_uuid: str, start: datetime, *, provider: str = "zoom"
) -> list[RecordingFile]:
    """A video, its audio, and closed captions without id, size or play URL (as Zoom sends)."""
    video = RecordingFile(
        provider=provider,
        provider_file_id=f"{meeting_uuid}-mp4",
        meeting_uuid=meeting_uuid,
        provider_file_type="MP4",
        recording_type="shared_screen_with_speaker_view",
        file_name="Lesson video",
        file_size_bytes=52_428_800,
        recording_start=start,
        recording_end=start + timedelta(minutes=50),
        download_url=f"https://{provider}.example/rec/download/{meeting_uuid}/mp4",
        play_url=f"https://{provider}.example/rec/play/{meeting_uuid}/mp4",
        download_token=DOWNLOAD_TOKEN,
    )
    audio = replace(
        video,
        provider_file_id=f"{meeting_uuid}-m4a",
        provider_file_type="M4A",
        recording_type="audio_only",
        file_name=None,
        file_size_bytes=1_048_576,
        recording_start=start + timedelta(seconds=1),
        download_url=f"https://{provider}.example/rec/download/{meeting_uuid}/m4a",
        play_url=f"https://{provider}.example/rec/play/{meeting_uuid}/m4a",
    )
    captions = replace(
        video,
        provider_file_id=None,
        provider_file_type="CC",
        recording_type=None,
        file_name=None,
        file_size_bytes=None,
        recording_start=start + timedelta(seconds=2),
        recording_end=None,
        download_url=f"https://{provider}.example/rec/download/{meeting_uuid}/cc",
        play_url=None,
    )
    return [video, audio, captions]


async def seed_recordings(
    platform: Platform, class_id: str, files: list[RecordingFile], *, now: datetime | None = None
) -> int:
    """``store_recording_files`` in its own transaction with the app's context."""
    ctx = platform.server.state.ctx
    async with ctx.db.write() as conn:
        row = (
            (await conn.execute(select(live_classes).where(live_classes.c.id == class_id)))
            .mappings()
            .one()
        )
        added: int = await store_recording_files(conn, ctx, row, files, now=now or ctx.clock())
    return added


@dataclass
class FakeBackend:
    """Links derived from the reference; ``fail`` makes deleting fail like a provider outage."""

    fail: bool = False
    deleted: list[str] = field(default_factory=list)
    seen: list[RecordingRef] = field(default_factory=list)

    async def download_link(self, recording: RecordingRef) -> str:
        self.seen.append(recording)
        token = recording.download_token or "fetched-fresh"
        return f"{recording.download_url}?access_token={token}"

    async def play_link(self, recording: RecordingRef) -> str:
        self.seen.append(recording)
        return f"https://player.example/{recording.provider_file_id or recording.recording_id}"

    async def delete(self, recording: RecordingRef) -> None:
        if self.fail:
            raise ProviderError("the provider is down", provider=recording.provider)
        self.deleted.append(recording.recording_id)
