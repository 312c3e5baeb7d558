"""Zoom recording events into recording rows, and links through the Zoom backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.platform import Platform
from tests.support.zoom import ZoomDriver

T0 = datetime(2031, 7, 7, 18, tzinfo=UTC)


async def recorded_class(world: Platform) -> tuple[ZoomDriver, dict[str, Any], Any]:
    created = await world.schedule(
        provider="zoom",
        scheduled_start=T0.isoformat(),
        scheduled_end=(T0 + timedelta(hours=1)).isoformat(),
    )
    zoom = ZoomDriver.for_platform(world)
    return zoom, created, zoom.meeting(created, T0)


async def listing(world: Platform, class_id: str) -> list[dict[str, Any]]:
    response = await world.call("GET", f"/api/live-classes/{class_id}/recordings", world.mentor)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


async def test_completed_recordings_and_transcripts_become_rows_once(
    scripted_platform: Platform,
) -> None:
    world = scripted_platform
    zoom, created, meeting = await recorded_class(world)
    files = zoom.sender.recording_files(meeting)
    body = zoom.sender.recording_completed(meeting, files, download_token="dl-token-1")
    row = await zoom.deliver(body)
    assert (row["status"], row["note"]) == ("done", "5 new recording file(s)")
    transcript = zoom.sender.transcript_completed(meeting, "dl-token-2", "https://us05web.zoom.us")
    assert (await zoom.deliver(transcript))["note"] == "1 new recording file(s)"
    # A redelivery with a new timestamp and the same files adds nothing.
    again = await zoom.deliver(body | {"event_ts": body["event_ts"] + 1})
    assert again["id"] == row["id"]

    items = await listing(world, created["id"])
    kinds = sorted(item["file_type"] for item in items)
    assert kinds == ["audio", "chat", "other", "transcript", "transcript", "video"]
    video = next(i for i in items if i["file_type"] == "video")
    assert video["file_size_mb"] == 100.0 and video["can_download"] is True
    assert "dl-token" not in str(items)
    detail = await world.call("GET", f"/api/live-classes/{created['id']}", world.mentor)
    assert detail.json()["data"]["is_recorded"] is True

    download = await world.call(
        "GET",
        f"/api/recordings/{video['recording_id']}/download",
        world.mentor,
        follow_redirects=False,
    )
    assert download.status_code == 302
    assert download.headers["location"].endswith("?access_token=dl-token-1")
    assert download.headers["location"].startswith("https://us05web.zoom.us/rec/download/")


async def test_trashed_recordings_are_tombstoned(scripted_platform: Platform) -> None:
    world = scripted_platform
    zoom, created, meeting = await recorded_class(world)
    files = zoom.sender.recording_files(meeting)
    await zoom.deliver(zoom.sender.recording_completed(meeting, files, "dl"))
    with_ids = [f for f in files if "id" in f]
    trashed = await zoom.deliver(zoom.sender.recording_trashed(meeting, with_ids[:1], "dl"))
    assert trashed["note"] == "1 recording file(s) marked deleted"
    assert len(await listing(world, created["id"])) == 4
    # The whole recording (CC and TIMELINE files included) deleted for good.
    deleted = await zoom.deliver(zoom.sender.recording_deleted(meeting, files))
    assert deleted["note"] == "4 recording file(s) marked deleted"
    assert await listing(world, created["id"]) == []
