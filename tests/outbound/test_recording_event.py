"""``recording.available``: one event per newly stored file, none when it is stored again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.db.tables import live_classes
from server.services.recordings import RecordingFile, store_recording_files
from tests.outbound.conftest import register
from tests.support.clock import FakeClock
from tests.support.platform import Platform
from tests.support.servers import LiveServer
from tests.support.webhook_receiver import Receiver


async def test_a_new_recording_file_is_announced_once(
    world: Platform, receiver: Receiver, hooks_server: LiveServer, hooks_clock: FakeClock
) -> None:
    await register(world, receiver, event_types=["recording.available"])
    klass = await world.schedule(title="Recorded")
    ctx = hooks_server.state.ctx
    file = RecordingFile(
        provider="zoom",
        provider_file_id="file-1",
        meeting_uuid="uuid-1",
        provider_file_type="MP4",
        recording_type="shared_screen_with_speaker_view",
        file_name="Recorded.mp4",
        file_size_bytes=5_000_000,
        recording_start=hooks_clock.now,
        recording_end=hooks_clock.now + timedelta(minutes=50),
        download_url="https://zoom.example/rec/download/file-1",
        play_url=None,
        download_token="secret-download-token",
    )
    for _ in range(2):  # a provider redelivering the same event
        async with ctx.db.write() as conn:
            row = (
                (await conn.execute(select(live_classes).where(live_classes.c.id == klass["id"])))
                .mappings()
                .one()
            )
            await store_recording_files(conn, ctx, row, [file], now=hooks_clock.now)
    await receiver.wait_for(lambda: len(receiver.received) >= 1)
    (delivery,) = receiver.received
    assert delivery.type == "recording.available"
    recording = delivery.data["recording"]
    assert (recording["file_type"], recording["file_name"]) == ("video", "Recorded.mp4")
    assert delivery.data["class"]["id"] == klass["id"]
    # Links and tokens are not pushed: they are fetched through the recordings API.
    assert "secret-download-token" not in delivery.body.decode()
    assert "download_url" not in recording
    listed = await world.call(
        "GET",
        "/api/admin/webhook-deliveries",
        world.admin,
        params={"event_type": "recording.available"},
    )
    assert listed.json()["count"] == 1
