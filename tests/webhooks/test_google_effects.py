"""Google effects end to end: Calendar changes move or cancel classes; ended ones pull Meet data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from server.db.inbox import IncomingEvent
from server.db.tables import class_events, live_classes
from server.providers.google_meet import derived_id
from tests.support.google import GoogleWorld
from tests.support.platform import Platform

MEET_500 = {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}


async def class_of(platform: Platform, class_id: str) -> dict[str, Any]:
    response = await platform.call("GET", f"/api/live-classes/{class_id}", platform.mentor)
    data: dict[str, Any] = response.json()["data"]
    return data


async def statuses(google: GoogleWorld, class_id: str) -> list[str]:
    query = (
        select(class_events.c.data)
        .where(class_events.c.class_id == class_id)
        .order_by(class_events.c.seq)
    )
    async with google.db.read() as conn:
        return [data["status"] for data in (await conn.scalars(query)).all()]


async def notify_change(google: GoogleWorld, platform: Platform) -> dict[str, Any]:
    channel = await google.open_channel(platform.org)
    response = await google.push(platform.http, channel["id"], "exists")
    assert response.status_code == 200, response.text
    return await google.settled(id=response.json()["data"]["id"])


async def test_an_event_deleted_in_calendar_cancels_its_class(google: GoogleWorld) -> None:
    async with google.platform() as world:
        doomed = await google.schedule_meet(world)
        kept = await google.schedule_meet(world)
        google.fake.cancel_event(derived_id("event", doomed["id"]))

        row = await notify_change(google, world)
        assert row["status"] == "done"
        assert row["note"] == "1 cancelled, 0 rescheduled, 0 event(s) not found"
        assert (await class_of(world, doomed["id"]))["status"] == "cancelled"
        assert (await class_of(world, kept["id"]))["status"] == "scheduled"
        assert await statuses(google, doomed["id"]) == ["cancelled"]
        inbox = await world.call("GET", "/api/notifications", world.students[0])
        kinds = [(n["kind"], n["class_id"]) for n in inbox.json()["data"]]
        assert ("class_cancelled", doomed["id"]) in kinds

        # A later notification leaves the cancelled class alone.
        assert (await notify_change(google, world))["note"].startswith("0 cancelled")


async def test_a_moved_event_reschedules_a_scheduled_class_only(google: GoogleWorld) -> None:
    async with google.platform() as world:
        later = await google.schedule_meet(world)
        running = await google.schedule_meet(world)
        await world.call("POST", f"/api/live-classes/{running['id']}/start", world.mentor)
        start = google.clock.now + timedelta(days=2)
        for created in (later, running):
            google.fake.move_event(
                derived_id("event", created["id"]), start, start + timedelta(minutes=90)
            )
        row = await notify_change(google, world)
        assert row["note"] == "0 cancelled, 1 rescheduled, 0 event(s) not found"
        moved = await class_of(world, later["id"])
        assert moved["scheduled_start"] == start.isoformat().replace("+00:00", "Z")
        assert moved["scheduled_end"] == (start + timedelta(minutes=90)).isoformat().replace(
            "+00:00", "Z"
        )
        live = await class_of(world, running["id"])
        assert live["scheduled_start"] == running["scheduled_start"]


async def test_an_event_google_does_not_know_changes_nothing(google: GoogleWorld) -> None:
    async with google.platform() as world:
        created = await google.schedule_meet(world)
        del google.fake.events["primary"][derived_id("event", created["id"])]
        row = await notify_change(google, world)
        assert row["status"] == "done" and row["class_id"] == created["id"]
        assert row["note"] == "0 cancelled, 0 rescheduled, 1 event(s) not found"
        assert (await class_of(world, created["id"]))["status"] == "scheduled"


async def run_meet_class(
    google: GoogleWorld, world: Platform, *, before_end: Any = None
) -> tuple[dict[str, Any], str]:
    """Schedule, start, hold a conference with four people for an hour, end; returns the class
    and the code of its Meet."""
    created = await google.schedule_meet(world)
    await google.open_channel(world.org)
    code = created["join_url"].rsplit("/", 1)[1]
    started = google.clock.now
    await world.call("POST", f"/api/live-classes/{created['id']}/start", world.mentor)
    google.fake.add_conference(
        code, participants=4, sessions_per_participant=2, recordings=1, transcripts=1, start=started
    )
    google.clock.advance(minutes=60)
    if before_end is not None:
        before_end()
    ended = await world.call("POST", f"/api/live-classes/{created['id']}/end", world.mentor)
    assert ended.status_code == 200, ended.text
    return created, code


async def attendance(world: Platform, class_id: str) -> dict[str, dict[str, Any]]:
    response = await world.call("GET", f"/api/live-classes/{class_id}/attendance", world.mentor)
    return {r["user_id"] or r["name"]: r for r in response.json()["data"]}


async def test_an_ended_class_pulls_attendance_and_recordings_once(google: GoogleWorld) -> None:
    async with google.platform() as world:
        created, _ = await run_meet_class(google, world)
        job = await google.settled(dedup_key=f"meet.pull:{created['id']}")
        assert job["status"] == "done", job
        assert job["note"] == "8 session(s), 2 new file(s)"
        assert job["class_id"] == created["id"] and job["org_id"] == world.org

        rows = await attendance(world, created["id"])
        # Two sessions of 9 minutes each; Meet gives no emails, so nobody is a student.
        for name in ("User 0", "User 1", "User 2", "Guest 3"):
            assert rows[name]["user_id"] is None and rows[name]["attended_seconds"] == 1080
            assert rows[name]["join_count"] == 2
        assert rows["student-1"]["status"] == rows["student-2"]["status"] == "absent"

        listed = await world.call(
            "GET", f"/api/live-classes/{created['id']}/recordings", world.mentor
        )
        files = sorted(r["file_type"] for r in listed.json()["data"])
        assert files == ["transcript", "video"]
        video = next(r for r in listed.json()["data"] if r["file_type"] == "video")
        play = await world.call(
            "GET", f"/api/recordings/{video['recording_id']}/play", world.mentor
        )
        assert play.status_code == 302
        assert play.headers["location"] == "https://drive.google.com/file/d/0/view"

        # A replay pulls again and changes nothing.
        replay = await world.call(
            "POST", f"/api/admin/webhook-events/{job['id']}/replay", world.admin
        )
        assert replay.status_code == 200, replay.text
        again = await google.wait_for(
            dedup_key=f"meet.pull:{created['id']}", note="8 session(s), 0 new file(s)"
        )
        assert again["status"] == "done" and again["attempts"] == 1
        assert await attendance(world, created["id"]) == rows
        relisted = await world.call(
            "GET", f"/api/live-classes/{created['id']}/recordings", world.mentor
        )
        assert relisted.json()["count"] == 2

        # Deleting a Meet recording only tombstones our row.
        deleted = await world.call(
            "DELETE", f"/api/recordings/{video['recording_id']}", world.mentor
        )
        assert deleted.status_code in (200, 204), deleted.text


async def test_a_meet_failure_during_the_pull_is_retried_later(google: GoogleWorld) -> None:
    async with google.platform() as world:

        def break_meet() -> None:
            # Four answers exhaust the client's own retries: the job attempt fails.
            google.fake.faults.fail_next(500, MEET_500, headers={"Retry-After": "0"}, times=4)

        created, _ = await run_meet_class(google, world, before_end=break_meet)
        key = f"meet.pull:{created['id']}"
        failed = await google.wait_for(dedup_key=key, status="pending", attempts=1)
        assert "500" in failed["last_error"]
        assert (await attendance(world, created["id"])).get("User 0") is None

        google.clock.advance(minutes=5)
        done = await google.settled(dedup_key=key)
        assert done["status"] == "done" and done["attempts"] == 2
        assert (await attendance(world, created["id"]))["User 0"]["attended_seconds"] == 1080


async def test_pull_jobs_for_unknown_classes_are_ignored(google: GoogleWorld) -> None:
    job = IncomingEvent(
        "google", "meet.pull", "meet.pull:no-such-class", {}, payload={"class_id": "nope"}
    )
    await google.state().inbox.accept(job, now=google.clock.now)
    row = await google.settled(dedup_key="meet.pull:no-such-class")
    assert (row["status"], row["note"]) == ("ignored", "no such Google Meet class")


async def test_a_gone_event_410_counts_as_cancelled(google: GoogleWorld) -> None:
    async with google.platform() as world:
        created = await google.schedule_meet(world)
        channel = await google.open_channel(world.org)
        gone = {"error": {"code": 410, "message": "Resource has been deleted"}}
        google.fake.faults.fail_next(410, gone)
        response = await google.push(world.http, channel["id"], "not_exists")
        row = await google.settled(id=response.json()["data"]["id"])
        assert row["note"].startswith("1 cancelled")
        assert (await class_of(world, created["id"]))["status"] == "cancelled"


async def test_a_class_without_a_meeting_code_has_nothing_to_pull(google: GoogleWorld) -> None:
    async with google.platform() as world:
        created = await google.schedule_meet(world)
        async with google.db.write() as conn:
            await conn.execute(
                update(live_classes)
                .where(live_classes.c.id == created["id"])
                .values(provider_data={"event_id": "x"})
            )
        await world.call("POST", f"/api/live-classes/{created['id']}/start", world.mentor)
        await world.call("POST", f"/api/live-classes/{created['id']}/end", world.mentor)
        row = await google.settled(dedup_key=f"meet.pull:{created['id']}")
        assert (row["status"], row["note"]) == ("ignored", "the class has no Meet meeting code")
        assert row["class_id"] == created["id"]
