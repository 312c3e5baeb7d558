"""Zoom events through the real endpoint into classes and attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from server.db.tables import class_events
from tests.fakes.zoom_webhooks import ZoomParticipant
from tests.support.platform import Platform
from tests.support.zoom import ZoomDriver

T0 = datetime(2031, 3, 3, 15, 0, tzinfo=UTC)
OPERATOR = ("root", "Operator")


async def zoom_class(platform: Platform) -> tuple[ZoomDriver, dict[str, Any], Any]:
    created = await platform.schedule(
        provider="zoom",
        scheduled_start=T0.isoformat(),
        scheduled_end=(T0 + timedelta(hours=1)).isoformat(),
    )
    zoom = ZoomDriver.for_platform(platform)
    return zoom, created, zoom.meeting(created, T0)


async def get_class(platform: Platform, class_id: str) -> dict[str, Any]:
    response = await platform.call("GET", f"/api/live-classes/{class_id}", platform.mentor)
    data: dict[str, Any] = response.json()["data"]
    return data


async def attendance(platform: Platform, class_id: str) -> dict[str, dict[str, Any]]:
    response = await platform.call(
        "GET", f"/api/live-classes/{class_id}/attendance", platform.mentor
    )
    return {r["user_id"] or r["name"]: r for r in response.json()["data"]}


async def test_started_and_ended_drive_the_class_lifecycle(scripted_platform: Platform) -> None:
    world = scripted_platform
    zoom, created, meeting = await zoom_class(world)
    assert (await zoom.deliver(zoom.sender.meeting_started(meeting)))["status"] == "done"
    live = await get_class(world, created["id"])
    assert live["status"] == "live" and live["actual_start"] == "2031-03-03T15:00:00Z"

    redelivered = await zoom.send(zoom.sender.meeting_started(meeting) | {"event_ts": 2})
    assert redelivered.json()["data"]["duplicate"] is True
    # A new instance of the same meeting (the host restarted it) changes nothing.
    restarted = meeting.__class__(**{**meeting.__dict__, "uuid": "another-instance=="})
    again = await zoom.deliver(zoom.sender.meeting_started(restarted))
    assert again["status"] == "ignored" and "already live" in again["note"]

    ended_row = await zoom.deliver(zoom.sender.meeting_ended(meeting, T0 + timedelta(minutes=55)))
    assert ended_row["status"] == "done" and ended_row["class_id"] == created["id"]
    ended = await get_class(world, created["id"])
    assert ended["status"] == "ended" and ended["actual_end"] == "2031-03-03T15:55:00Z"

    db = world.server.state.ctx.db
    async with db.read() as conn:
        log = (
            await conn.execute(
                select(class_events.c.seq, class_events.c.event, class_events.c.data)
                .where(class_events.c.class_id == created["id"])
                .order_by(class_events.c.seq)
            )
        ).all()
    assert [(seq, name, data["status"]) for seq, name, data in log] == [
        (1, "class:status", "live"),
        (2, "class:status", "ended"),
    ]


async def test_an_end_without_a_start_still_records_the_run(scripted_platform: Platform) -> None:
    zoom, created, meeting = await zoom_class(scripted_platform)
    await zoom.deliver(zoom.sender.meeting_ended(meeting, T0 + timedelta(minutes=30)))
    ended = await get_class(scripted_platform, created["id"])
    assert (ended["status"], ended["actual_start"], ended["actual_end"]) == (
        "ended",
        "2031-03-03T15:00:00Z",
        "2031-03-03T15:30:00Z",
    )


async def test_participants_are_matched_by_email_and_guests_kept_apart(
    scripted_platform: Platform,
) -> None:
    world = scripted_platform
    zoom, created, meeting = await zoom_class(world)
    student = world.students[0]
    # The platform's token told us student-1's email when they used the API.
    await world.call("POST", f"/api/live-classes/{created['id']}/join", student)
    await world.call("DELETE", f"/api/live-classes/{created['id']}/join", student)
    await zoom.deliver(zoom.sender.meeting_started(meeting))
    sam = ZoomParticipant(
        "16778240", "Sam S.", email="STUDENT-1@example.com", participant_uuid="p-1"
    )
    namesake = ZoomParticipant("16778241", "Lee Learner", participant_uuid="p-2")
    for who, minutes in ((sam, 0), (namesake, 5)):
        row = await zoom.deliver(
            zoom.sender.participant_joined(meeting, who, T0 + timedelta(minutes=minutes))
        )
        assert row["status"] == "done"
    await zoom.deliver(zoom.sender.participant_left(meeting, sam, T0 + timedelta(minutes=45)))
    await zoom.deliver(zoom.sender.participant_left(meeting, namesake, T0 + timedelta(minutes=20)))
    await zoom.deliver(zoom.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))

    rows = await attendance(world, created["id"])
    assert rows["student-1"]["attended_seconds"] == 45 * 60
    assert rows["student-1"]["status"] == "present"
    # Same display name as student-2, but no email match: a guest, not Lee.
    assert rows["student-2"]["status"] == "absent"
    guest = rows["Lee Learner"]
    assert guest["user_id"] is None and guest["attended_seconds"] == 15 * 60


async def test_a_leave_before_its_join_is_put_back_in_order(scripted_platform: Platform) -> None:
    world = scripted_platform
    zoom, created, meeting = await zoom_class(world)
    await world.call("POST", f"/api/live-classes/{created['id']}/join", world.students[1])
    await world.call("DELETE", f"/api/live-classes/{created['id']}/join", world.students[1])
    await zoom.deliver(zoom.sender.meeting_started(meeting))
    lee = ZoomParticipant("1", "Lee", email="student-2@example.com", participant_uuid="p-9")
    left = await zoom.deliver(
        zoom.sender.participant_left(meeting, lee, T0 + timedelta(minutes=40))
    )
    assert left["note"] == "leave arrived before its join"
    await zoom.deliver(zoom.sender.participant_joined(meeting, lee, T0 + timedelta(minutes=10)))
    await zoom.deliver(zoom.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))
    rows = await attendance(world, created["id"])
    assert rows["student-2"]["attended_seconds"] == 30 * 60
    assert rows["student-2"]["join_count"] == 1


async def test_duplicate_deliveries_have_their_effect_once(scripted_platform: Platform) -> None:
    world = scripted_platform
    zoom, created, meeting = await zoom_class(world)
    await world.call("POST", f"/api/live-classes/{created['id']}/join", world.students[0])
    await world.call("DELETE", f"/api/live-classes/{created['id']}/join", world.students[0])
    await zoom.deliver(zoom.sender.meeting_started(meeting))
    sam = ZoomParticipant("7", "Sam", email="student-1@example.com", participant_uuid="p-3")
    joined = zoom.sender.participant_joined(meeting, sam, T0)
    left = zoom.sender.participant_left(meeting, sam, T0 + timedelta(minutes=30))
    for body in (joined, joined, left, left, joined):
        response = await zoom.send(body)
        assert response.status_code == 200
        await zoom.settled(int(response.json()["data"]["id"]))
    await zoom.deliver(zoom.sender.meeting_ended(meeting, T0 + timedelta(hours=1)))
    rows = await attendance(world, created["id"])
    assert rows["student-1"]["attended_seconds"] == 30 * 60
    assert rows["student-1"]["join_count"] == 1


async def test_events_for_unknown_meetings_are_kept_for_the_operator(
    scripted_platform: Platform,
) -> None:
    world = scripted_platform
    zoom, _, meeting = await zoom_class(world)
    stranger = meeting.__class__(**{**meeting.__dict__, "id": 99_999_999_999})
    row = await zoom.deliver(zoom.sender.meeting_started(stranger))
    assert row["status"] == "ignored" and "99999999999" in row["note"]
    operator = world.person(*OPERATOR, world.admin.role, org="operator")
    listed = await world.call("GET", "/api/admin/webhook-events?status=ignored&limit=100", operator)
    assert row["id"] in [e["id"] for e in listed.json()["data"]]
    mine = await world.call("GET", "/api/admin/webhook-events?limit=100", world.admin)
    assert row["id"] not in [e["id"] for e in mine.json()["data"]]
