"""Scheduling and running live classes over HTTP, as the platform and its users see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.auth import Role
from tests.support.platform import Platform
from tests.support.providers import ScriptedProvider


def data(response: Any) -> Any:
    assert response.json()["success"] is True, response.text
    return response.json()["data"]


async def test_a_mentor_schedules_a_jitsi_class_with_defaults(platform: Platform) -> None:
    created = await platform.schedule(title="Intro to graphs")
    assert created["status"] == "scheduled"
    assert created["provider"] == "jitsi"
    assert created["join_url"].startswith("https://meet.jit.si/intro-to-graphs-")
    assert created["host_url"] == created["join_url"]
    assert created["your_role"] == "host"
    assert created["host"] == {"id": "mentor-1", "name": "Grace Mentor", "role": "host"}
    assert created["settings"] == {
        "chat": True,
        "qa": True,
        "polls": True,
        "reactions": True,
        "hand_raise": True,
        "lobby_chat": False,
        "waiting_room": False,
        "join_before_host": False,
    }
    assert created["participants"] == [] and created["resources"] == []
    assert created["scheduled_start"].endswith("Z")


async def test_times_with_any_offset_come_back_in_utc(platform: Platform) -> None:
    created = await platform.schedule(
        scheduled_start="2030-01-01T10:00:00+02:00", scheduled_end="2030-01-01T11:30:00+02:00"
    )
    assert created["scheduled_start"] == "2030-01-01T08:00:00Z"
    assert created["scheduled_end"] == "2030-01-01T09:30:00Z"


async def test_students_see_the_join_link_but_not_the_host_link(platform: Platform) -> None:
    created = await platform.schedule()
    seen = data(
        await platform.call("GET", f"/api/live-classes/{created['id']}", platform.students[0])
    )
    assert seen["join_url"] == created["join_url"]
    assert seen["host_url"] is None
    assert seen["your_role"] == "participant"


async def test_listing_shows_only_classes_of_the_callers_courses(platform: Platform) -> None:
    mine = await platform.schedule()
    await platform.sync_course("course-2", mentors=["mentor-2"], students=["student-9"])
    other_mentor = platform.person("mentor-2", "Other Mentor", Role.MENTOR)
    theirs = await platform.schedule(other_mentor, course_id="course-2")

    async def ids(who: Any, query: str = "") -> list[str]:
        page = await platform.call("GET", f"/api/live-classes{query}", who)
        return [c["id"] for c in data(page)]

    assert await ids(platform.students[0]) == [mine["id"]]
    assert await ids(other_mentor) == [theirs["id"]]
    assert sorted(await ids(platform.admin)) == sorted([mine["id"], theirs["id"]])
    assert await ids(platform.admin, "?course_id=course-2") == [theirs["id"]]


async def test_listing_shows_each_caller_their_role_and_the_host_link_only_to_hosts(
    platform: Platform,
) -> None:
    co_mentor = platform.person("mentor-2", "Cora Cohost", Role.MENTOR)
    await platform.sync_course(
        platform.course_id,
        mentors=[platform.mentor.user_id, co_mentor.user_id],
        students=[s.user_id for s in platform.students],
    )
    created = await platform.schedule()

    async def listed(who: Any) -> tuple[str, str | None]:
        [seen] = data(await platform.call("GET", "/api/live-classes", who))
        return seen["your_role"], seen["host_url"]

    host_url = created["host_url"]
    assert await listed(platform.mentor) == ("host", host_url)
    assert await listed(co_mentor) == ("co_host", host_url)
    assert await listed(platform.admin) == ("co_host", host_url)
    assert await listed(platform.students[0]) == ("participant", None)


async def test_filters_and_pagination(platform: Platform) -> None:
    base = datetime(2031, 5, 1, 9, tzinfo=UTC)
    made = []
    for day in range(5):
        start = base + timedelta(days=day)
        made.append(
            await platform.schedule(
                scheduled_start=start.isoformat(),
                scheduled_end=(start + timedelta(hours=1)).isoformat(),
            )
        )
    await platform.call("POST", f"/api/live-classes/{made[0]['id']}/start", platform.mentor)

    page = await platform.call("GET", "/api/live-classes?limit=2&offset=1", platform.mentor)
    body = page.json()
    assert (body["count"], body["limit"], body["offset"]) == (5, 2, 1)
    assert [c["id"] for c in body["data"]] == [made[1]["id"], made[2]["id"]]
    past_the_end = await platform.call("GET", "/api/live-classes?offset=7", platform.mentor)
    assert (past_the_end.json()["count"], data(past_the_end)) == (5, [])

    live = await platform.call("GET", "/api/live-classes?status=live", platform.mentor)
    assert [c["id"] for c in data(live)] == [made[0]["id"]]

    ranged = await platform.call(
        "GET",
        "/api/live-classes",
        platform.mentor,
        params={"from": "2031-05-02T00:00:00Z", "to": "2031-05-03T23:59:59Z"},
    )
    assert [c["id"] for c in data(ranged)] == [made[1]["id"], made[2]["id"]]


async def test_patch_and_put_change_a_class(platform: Platform) -> None:
    created = await platform.schedule()
    path = f"/api/live-classes/{created['id']}"
    patched = data(
        await platform.call(
            "PATCH",
            path,
            platform.mentor,
            json={"title": "Renamed", "settings": {"chat": False}, "max_participants": 30},
        )
    )
    assert patched["title"] == "Renamed"
    assert patched["settings"]["chat"] is False and patched["settings"]["qa"] is True
    assert patched["max_participants"] == 30
    put = data(
        await platform.call("PUT", path, platform.mentor, json={"description": "Bring a laptop"})
    )
    assert put["description"] == "Bring a laptop" and put["title"] == "Renamed"


async def test_the_lifecycle_runs_forward_only(platform: Platform) -> None:
    created = await platform.schedule()
    path = f"/api/live-classes/{created['id']}"

    early_end = await platform.call("POST", f"{path}/end", platform.mentor)
    assert early_end.status_code == 422
    assert early_end.json()["error"]["code"] == "invalid_state"

    live = data(await platform.call("POST", f"{path}/start", platform.mentor))
    assert live["status"] == "live" and live["actual_start"] is not None
    again = await platform.call("POST", f"{path}/start", platform.mentor)
    assert again.status_code == 422

    ended = data(await platform.call("POST", f"{path}/end", platform.mentor))
    assert ended["status"] == "ended" and ended["actual_end"] >= ended["actual_start"]
    for method, suffix, body in [
        ("POST", "/start", None),
        ("DELETE", "", None),
        ("PATCH", "", {"title": "too late"}),
    ]:
        refused = await platform.call(method, path + suffix, platform.mentor, json=body)
        assert refused.status_code == 422, (method, suffix, refused.text)
    final = data(await platform.call("GET", path, platform.mentor))
    assert final["status"] == "ended" and final["title"] == created["title"]


async def test_cancelling_notifies_every_enrolled_student(platform: Platform) -> None:
    created = await platform.schedule(title="Recursion")
    cancelled = data(
        await platform.call("DELETE", f"/api/live-classes/{created['id']}", platform.mentor)
    )
    assert cancelled["status"] == "cancelled"
    for student in platform.students:
        inbox = await platform.call("GET", "/api/notifications", student)
        items = data(inbox)
        assert inbox.json()["count"] == 1
        assert items[0]["kind"] == "class_cancelled"
        assert items[0]["class_id"] == created["id"]
        assert "Recursion" in items[0]["title"] and items[0]["read_at"] is None
    assert data(await platform.call("GET", "/api/notifications", platform.mentor)) == []


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "2031-06-01 06:00 EDT (America/New_York)"),
        ("Asia/Kolkata", "2031-06-01 15:30 IST (Asia/Kolkata)"),
        ("UTC", "2031-06-01 10:00 UTC was"),
    ],
)
async def test_a_cancellation_notice_shows_the_time_in_the_class_time_zone(
    platform: Platform, zone: str, shown: str
) -> None:
    start = datetime(2031, 6, 1, 10, tzinfo=UTC)
    created = await platform.schedule(
        title="Zones",
        timezone=zone,
        scheduled_start=start.isoformat(),
        scheduled_end=(start + timedelta(hours=1)).isoformat(),
    )
    await platform.call("DELETE", f"/api/live-classes/{created['id']}", platform.mentor)
    (notice,) = data(await platform.call("GET", "/api/notifications", platform.students[0]))
    assert shown in notice["body"], notice["body"]


async def test_notifications_newest_first_and_marked_read(platform: Platform) -> None:
    first = await platform.schedule(title="First")
    second = await platform.schedule(title="Second")
    for created in (first, second):
        await platform.call("DELETE", f"/api/live-classes/{created['id']}", platform.mentor)
    student = platform.students[0]
    items = data(await platform.call("GET", "/api/notifications", student))
    assert [n["class_id"] for n in items] == [second["id"], first["id"]]

    one = data(await platform.call("POST", f"/api/notifications/{items[0]['id']}/read", student))
    assert one["read_at"] is not None
    unread = data(await platform.call("GET", "/api/notifications?unread=true", student))
    assert [n["id"] for n in unread] == [items[1]["id"]]
    marked = data(await platform.call("POST", "/api/notifications/read-all", student))
    assert marked == {"marked": 1}
    assert data(await platform.call("GET", "/api/notifications?unread=true", student)) == []
    other = await platform.call(
        "POST", f"/api/notifications/{items[0]['id']}/read", platform.students[1]
    )
    assert other.status_code == 404


async def test_join_and_leave_record_participation(platform: Platform) -> None:
    created = await platform.schedule()
    path = f"/api/live-classes/{created['id']}"
    student = platform.students[0]
    joined = data(await platform.call("POST", f"{path}/join", student))
    assert joined == {"join_url": created["join_url"], "host_url": None, "passcode": None}
    host_join = data(await platform.call("POST", f"{path}/join", platform.mentor))
    assert host_join["host_url"] == created["host_url"]

    people = data(await platform.call("GET", f"{path}/participants", student))
    assert [(p["user"]["id"], p["user"]["role"], p["online"]) for p in people] == [
        ("student-1", "participant", True),
        ("mentor-1", "host", True),
    ]
    assert data(await platform.call("GET", path, student))["participant_count"] == 2

    assert data(await platform.call("DELETE", f"{path}/join", student)) == {"left": True}
    assert data(await platform.call("DELETE", f"{path}/join", student)) == {"left": False}
    people = data(await platform.call("GET", f"{path}/participants", student))
    assert [p["online"] for p in people] == [False, True]


async def test_a_full_class_refuses_one_more_but_not_the_host(platform: Platform) -> None:
    created = await platform.schedule(max_participants=1)
    path = f"/api/live-classes/{created['id']}/join"
    first, second = platform.students
    assert (await platform.call("POST", path, first)).status_code == 200
    full = await platform.call("POST", path, second)
    assert full.status_code == 409 and full.json()["error"]["code"] == "conflict"
    assert (await platform.call("POST", path, first)).status_code == 200  # rejoining is fine
    assert (await platform.call("POST", path, platform.mentor)).status_code == 200
    await platform.call("DELETE", path, first)
    assert (await platform.call("POST", path, second)).status_code == 200


async def test_a_cancelled_or_ended_class_cannot_be_joined(platform: Platform) -> None:
    cancelled = await platform.schedule()
    await platform.call("DELETE", f"/api/live-classes/{cancelled['id']}", platform.mentor)
    refused = await platform.call(
        "POST", f"/api/live-classes/{cancelled['id']}/join", platform.students[0]
    )
    assert refused.status_code == 422


async def test_a_manual_class_uses_the_given_link(platform: Platform) -> None:
    created = await platform.schedule(provider="manual", join_url="https://rooms.example/abc")
    assert created["join_url"] == "https://rooms.example/abc"
    changed = await platform.call(
        "PATCH",
        f"/api/live-classes/{created['id']}",
        platform.mentor,
        json={"join_url": "https://rooms.example/xyz"},
    )
    assert data(changed)["join_url"] == "https://rooms.example/xyz"


async def test_provider_failure_on_create_stores_nothing(
    scripted_platform: Platform, scripted_provider: ScriptedProvider
) -> None:
    world = scripted_platform
    scripted_provider.fail_next["create"] = "Zoom says: user does not exist"
    start = datetime.now(UTC) + timedelta(days=1)
    failed = await world.call(
        "POST",
        "/api/live-classes",
        world.mentor,
        json={
            "course_id": world.course_id,
            "title": "Zoom class",
            "provider": "zoom",
            "scheduled_start": start.isoformat(),
            "scheduled_end": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert failed.status_code == 502
    assert failed.json()["error"] == {
        "code": "provider_error",
        "message": "Zoom says: user does not exist",
    }
    assert (await world.call("GET", "/api/live-classes", world.admin)).json()["count"] == 0


async def test_provider_failure_on_update_or_cancel_changes_nothing(
    scripted_platform: Platform, scripted_provider: ScriptedProvider
) -> None:
    world = scripted_platform
    created = await world.schedule(provider="zoom", title="Stable")
    path = f"/api/live-classes/{created['id']}"
    scripted_provider.fail_next["update"] = "rate limited"
    failed = await world.call("PATCH", path, world.mentor, json={"title": "Changed"})
    assert failed.status_code == 502
    scripted_provider.fail_next["delete"] = "meeting in progress"
    failed = await world.call("DELETE", path, world.mentor)
    assert failed.status_code == 502
    after = data(await world.call("GET", path, world.mentor))
    assert (after["title"], after["status"]) == ("Stable", "scheduled")
    assert data(await world.call("GET", "/api/notifications", world.students[0])) == []
    assert created["passcode"] == "abc123"
    # The link does not carry the passcode, so participants get it too.
    seen = data(await world.call("GET", path, world.students[0]))
    assert (seen["passcode"], seen["host_url"]) == ("abc123", None)
    joined = data(await world.call("POST", f"{path}/join", world.students[0]))
    assert joined["passcode"] == "abc123"
    assert data(await world.call("DELETE", path, world.mentor))["status"] == "cancelled"
    assert scripted_provider.deleted[-1] == created["join_url"].rsplit("/", 1)[1]
