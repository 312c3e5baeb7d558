"""Provider payloads with control characters are applied cleaned, never lost or crashed on.

Zoom cannot be told "bad request" about a meeting that happened: a participant
whose display name carries a NUL (which PostgreSQL cannot store) is still
recorded, under the name without it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.fakes.zoom_webhooks import ZoomParticipant
from tests.support.google import GoogleWorld
from tests.support.platform import Platform
from tests.support.provider_fakes import ProviderWorld
from tests.support.zoom import ZoomDriver
from tests.webhooks.test_google_effects import attendance as meet_attendance
from tests.webhooks.test_google_effects import run_meet_class
from tests.webhooks.test_zoom_effects import T0, attendance, zoom_class
from tests.webhooks.test_zoom_intake import stored
from tests.webhooks.test_zoom_report import T0 as REPORT_T0
from tests.webhooks.test_zoom_report import attendance as report_attendance
from tests.webhooks.test_zoom_report import pulled, report_row, zoom_world


async def test_a_participant_name_with_nul_is_recorded_cleaned(
    scripted_platform: Platform,
) -> None:
    world = scripted_platform
    zoom, created, meeting = await zoom_class(world)
    await zoom.deliver(zoom.sender.meeting_started(meeting))
    guest = ZoomParticipant("1677\x008240", "Ann\x00 Lee\x1b", participant_uuid="p-\x00-1")
    joined = await zoom.deliver(zoom.sender.participant_joined(meeting, guest, T0))
    assert joined["status"] == "done", joined
    left = await zoom.deliver(
        zoom.sender.participant_left(meeting, guest, T0 + timedelta(minutes=30))
    )
    assert left["status"] == "done", left
    assert "\x00" not in str(joined["payload"])
    await zoom.deliver(zoom.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))

    rows = await attendance(world, created["id"])
    assert rows["Ann Lee"]["attended_seconds"] == 30 * 60


async def test_a_malformed_body_with_nul_is_kept_as_rejected(platform: Platform) -> None:
    zoom = ZoomDriver.for_platform(platform)
    before = await stored(platform)
    answer = await zoom.send(b'{"event": "meeting.started\x00", "payload": ')
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "bad_request"
    assert await stored(platform) == before + 1


@pytest.mark.parametrize(
    "payload",
    ["plain", [1, 2], None, 7, {}, {"plainToken": 5}, {"plainToken": ""}],
    ids=["string", "list", "null", "number", "empty", "number-token", "empty-token"],
)
async def test_url_validation_without_a_usable_plain_token(
    platform: Platform, payload: Any
) -> None:
    zoom = ZoomDriver.for_platform(platform)
    before = await stored(platform)
    body = {"event": "endpoint.url_validation", "event_ts": 1, "payload": payload}
    answer = await zoom.send(body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "bad_request" and "payload.plainToken" in error["details"]
    assert await stored(platform) == before


async def test_report_rows_with_control_characters_are_recorded_cleaned(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    driver, meeting, class_id = await zoom_world(world, providers)
    providers.zoom.add_instance(
        meeting.id,
        uuid=meeting.uuid,
        rows=[report_row("7\x00", "Dial\x00-in\x1b", "", 5, 35)],
    )
    await driver.deliver(driver.sender.meeting_started(meeting))
    ended = await driver.deliver(
        driver.sender.meeting_ended(meeting, REPORT_T0 + timedelta(hours=1))
    )
    job = await pulled(driver, ended)
    assert job["status"] == "done", job
    rows = await report_attendance(world, class_id)
    assert rows["Dial-in"]["attended_seconds"] == 30 * 60


async def test_meet_participant_names_with_control_characters_are_recorded_cleaned(
    google: GoogleWorld,
) -> None:
    def nul_in_names() -> None:
        for person in google.fake._conferences[-1].participants:
            for kind in ("signedinUser", "anonymousUser"):
                if kind in person:
                    person[kind]["displayName"] += "\x00\x1b"

    async with google.platform() as world:
        created, _ = await run_meet_class(google, world, before_end=nul_in_names)
        job = await google.settled(dedup_key=f"meet.pull:{created['id']}")
        assert job["status"] == "done", job
        rows = await meet_attendance(world, created["id"])
        assert rows["User 0"]["attended_seconds"] == rows["Guest 3"]["attended_seconds"] == 1080
