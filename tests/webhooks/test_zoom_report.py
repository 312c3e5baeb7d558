"""After a Zoom meeting ends, the participants report fills what webhooks missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.zoom_webhooks import ZoomParticipant
from tests.support.platform import Platform
from tests.support.provider_fakes import ProviderWorld
from tests.support.zoom import ZoomDriver

T0 = datetime(2031, 9, 9, 16, tzinfo=UTC)


def report_row(user_id: str, name: str, email: str, start: int, end: int) -> dict[str, Any]:
    """One segment as Zoom's report lists it (minutes after T0)."""
    return {
        "id": "",
        "user_id": user_id,
        "name": name,
        "user_email": email,
        "join_time": (T0 + timedelta(minutes=start)).isoformat().replace("+00:00", "Z"),
        "leave_time": (T0 + timedelta(minutes=end)).isoformat().replace("+00:00", "Z"),
        "duration": (end - start) * 60,
    }


async def zoom_world(world: Platform, providers: ProviderWorld) -> tuple[ZoomDriver, Any, str]:
    zoom = providers.zoom
    account = {
        "account_id": zoom.account_id,
        "client_id": zoom.client_id,
        "client_secret": zoom.client_secret,
    }
    connected = await world.call("PUT", "/api/admin/integrations/zoom", world.admin, json=account)
    assert connected.status_code == 200, connected.text
    zoom.add_user("mentor-1@example.com")
    created = await world.schedule(
        provider="zoom",
        scheduled_start=T0.isoformat(),
        scheduled_end=(T0 + timedelta(hours=1)).isoformat(),
    )
    for student in world.students:  # their emails become known to liveclass
        await world.call("POST", f"/api/live-classes/{created['id']}/join", student)
        await world.call("DELETE", f"/api/live-classes/{created['id']}/join", student)
    driver = ZoomDriver.for_platform(world)
    return driver, driver.meeting(created, T0), created["id"]


async def attendance(world: Platform, class_id: str) -> dict[str, dict[str, Any]]:
    response = await world.call("GET", f"/api/live-classes/{class_id}/attendance", world.mentor)
    return {r["user_id"] or r["name"]: r for r in response.json()["data"]}


async def pulled(driver: ZoomDriver, ended: dict[str, Any]) -> dict[str, Any]:
    """The report job the end queued, once the worker finished it."""
    operator = driver.platform.person("root", "Op", driver.platform.admin.role, org="operator")
    jobs = await driver.platform.call("GET", "/api/admin/webhook-events?limit=100", operator)
    job = next(
        e
        for e in jobs.json()["data"]
        if e["event_type"] == "zoom.participants_pull" and e["id"] > ended["id"]
    )
    return await driver.settled(job["id"])


async def test_lost_participant_webhooks_are_filled_from_the_report(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    driver, meeting, class_id = await zoom_world(world, providers)
    providers.zoom.add_instance(
        meeting.id,
        uuid=meeting.uuid,
        rows=[
            report_row("1", "Sam", "STUDENT-1@example.com", 0, 20),
            report_row("1", "Sam", "student-1@example.com", 30, 55),
            report_row("2", "Dial-in", "", 5, 35),
        ],
    )
    await driver.deliver(driver.sender.meeting_started(meeting))
    ended = await driver.deliver(driver.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))
    job = await pulled(driver, ended)
    assert (job["status"], job["note"]) == ("done", "3 interval(s) added from 3 report row(s)")
    rows = await attendance(world, class_id)
    assert (rows["student-1"]["attended_seconds"], rows["student-1"]["join_count"]) == (45 * 60, 2)
    assert rows["Dial-in"]["attended_seconds"] == 30 * 60 and rows["Dial-in"]["user_id"] is None
    assert rows["student-2"]["status"] == "absent"

    # Replaying the job adds nothing twice.
    replay = await world.call("POST", f"/api/admin/webhook-events/{job['id']}/replay", world.admin)
    assert replay.status_code == 200
    again = await driver.settled(job["id"])
    assert again["note"] == "0 interval(s) added from 3 report row(s)"
    assert (await attendance(world, class_id))["student-1"]["attended_seconds"] == 45 * 60


async def test_what_webhooks_brought_is_not_counted_again(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    driver, meeting, class_id = await zoom_world(world, providers)
    providers.zoom.add_instance(
        meeting.id,
        uuid=meeting.uuid,
        rows=[
            report_row("1", "Sam", "student-1@example.com", 0, 40),
            report_row("2", "Lee", "student-2@example.com", 10, 30),
            report_row("3", "Guest", "", 0, 60),
        ],
    )
    await driver.deliver(driver.sender.meeting_started(meeting))
    sam = ZoomParticipant("1", "Sam", email="student-1@example.com", participant_uuid="p-1")
    await driver.deliver(driver.sender.participant_joined(meeting, sam, T0))
    await driver.deliver(driver.sender.participant_left(meeting, sam, T0 + timedelta(minutes=40)))
    ended = await driver.deliver(driver.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))
    job = await pulled(driver, ended)
    # Lee had no webhook: added.  Sam had: skipped.  The guest: skipped, since
    # webhooks did arrive and the report cannot tell a known guest from a new one.
    assert job["note"] == "1 interval(s) added from 3 report row(s)"
    rows = await attendance(world, class_id)
    assert rows["student-1"]["attended_seconds"] == 40 * 60
    assert rows["student-2"]["attended_seconds"] == 20 * 60
    assert "Guest" not in rows


async def test_a_report_zoom_cannot_give_is_retried_then_failed(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    driver, meeting, _ = await zoom_world(world, providers)
    await driver.deliver(driver.sender.meeting_started(meeting))
    ended = await driver.deliver(driver.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))
    job = await pulled(driver, ended)  # no such instance at Zoom: 404 every time
    assert (job["status"], job["attempts"]) == ("failed", 3)
    assert "3001" in job["last_error"] or "does not exist" in job["last_error"]
