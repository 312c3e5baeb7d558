"""Series from an RRULE: local wall-clock time kept across DST, each class with its own
meeting, all or nothing, and changes to "this and all following"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from server.errors import ProviderError
from server.providers.base import Meeting, MeetingRequest
from tests.support.platform import Platform
from tests.support.providers import ScriptedProvider

BERLIN = ZoneInfo("Europe/Berlin")
# Thursdays at 18:00 in Berlin; summer time starts on Sunday 30 March 2031.
FIRST = datetime(2031, 3, 13, 18, tzinfo=BERLIN)


async def new_series(platform: Platform, rrule: str, **fields: Any) -> dict[str, Any]:
    body = {
        "course_id": platform.course_id,
        "title": "Weekly seminar",
        "timezone": "Europe/Berlin",
        "scheduled_start": FIRST.isoformat(),
        "scheduled_end": (FIRST + timedelta(minutes=90)).isoformat(),
        "rrule": rrule,
        **fields,
    }
    response = await platform.call("POST", "/api/class-series", platform.mentor, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def starts(series: dict[str, Any]) -> list[datetime]:
    return [datetime.fromisoformat(c["scheduled_start"]) for c in series["classes"]]


async def test_a_weekly_series_keeps_local_time_across_dst(platform: Platform) -> None:
    series = await new_series(platform, "FREQ=WEEKLY;COUNT=4")
    utc = starts(series)
    assert [s.astimezone(BERLIN).strftime("%d %H:%M") for s in utc] == [
        "13 18:00",
        "20 18:00",
        "27 18:00",
        "03 18:00",
    ]
    assert [s.astimezone(UTC).hour for s in utc] == [17, 17, 17, 16]
    classes = series["classes"]
    assert {c["series_id"] for c in classes} == {series["id"]}
    assert len({c["join_url"] for c in classes}) == 4  # a meeting of its own each
    assert all(
        datetime.fromisoformat(c["scheduled_end"]) - datetime.fromisoformat(c["scheduled_start"])
        == timedelta(minutes=90)
        for c in classes
    )
    listed = await platform.call(
        "GET", "/api/live-classes", platform.students[0], params={"course_id": platform.course_id}
    )
    assert {c["series_id"] for c in listed.json()["data"]} == {series["id"]}
    seen = await platform.call("GET", f"/api/class-series/{series['id']}", platform.students[0])
    assert seen.status_code == 200 and len(seen.json()["data"]["classes"]) == 4

    feed = await platform.call(
        "POST", "/api/calendar-feeds", platform.students[0], json={"kind": "person"}
    )
    ics = await platform.http.get(urlsplit(feed.json()["data"]["url"]).path)
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert {str(e["X-LIVECLASS-SERIES"]) for e in events} == {series["id"]}


async def test_daily_until_and_bad_rules(platform: Platform) -> None:
    series = await new_series(platform, "FREQ=DAILY;UNTIL=20310316T000000Z")
    assert len(series["classes"]) == 3
    for rule, why in (
        ("FREQ=MONTHLY;COUNT=2", "DAILY or WEEKLY"),
        ("FREQ=WEEKLY", "COUNT or UNTIL"),
        ("FREQ=DAILY;COUNT=101", "more than 100"),
        ("FREQ=DAILY;UNTIL=20310401", "UTC"),
        ("nonsense", "KEY=VALUE"),
    ):
        response = await platform.call(
            "POST",
            "/api/class-series",
            platform.mentor,
            json={
                "course_id": platform.course_id,
                "title": "x",
                "scheduled_start": FIRST.isoformat(),
                "scheduled_end": (FIRST + timedelta(hours=1)).isoformat(),
                "rrule": rule,
            },
        )
        assert response.status_code == 400, rule
        assert why in response.json()["error"]["details"]["rrule"]
    student = await platform.call(
        "POST",
        "/api/class-series",
        platform.students[0],
        json={
            "course_id": platform.course_id,
            "title": "x",
            "scheduled_start": FIRST.isoformat(),
            "scheduled_end": (FIRST + timedelta(hours=1)).isoformat(),
            "rrule": "FREQ=DAILY;COUNT=2",
        },
    )
    assert student.status_code == 403
    missing = await platform.call("GET", "/api/class-series/ser_nope", platform.mentor)
    assert missing.status_code == 404


async def test_this_and_following_change_or_cancel(platform: Platform) -> None:
    series = await new_series(platform, "FREQ=WEEKLY;COUNT=4")
    ids = [c["id"] for c in series["classes"]]
    third = series["classes"][2]
    later = datetime.fromisoformat(third["scheduled_start"]) + timedelta(hours=1)
    changed = await platform.call(
        "PATCH",
        f"/api/class-series/{series['id']}/from/{ids[2]}",
        platform.mentor,
        json={"title": "Moved seminar", "scheduled_start": later.isoformat()},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()["data"]["classes"]
    assert [c["title"] for c in after] == ["Weekly seminar"] * 2 + ["Moved seminar"] * 2
    local = [s.astimezone(BERLIN).strftime("%H:%M") for s in starts(changed.json()["data"])]
    assert local == ["18:00", "18:00", "19:00", "19:00"]

    one = await platform.call(
        "PATCH", f"/api/live-classes/{ids[0]}", platform.mentor, json={"title": "Only me"}
    )
    assert one.status_code == 200 and one.json()["data"]["series_id"] == series["id"]

    cancelled = await platform.call(
        "DELETE", f"/api/class-series/{series['id']}/from/{ids[1]}", platform.mentor
    )
    assert cancelled.status_code == 200, cancelled.text
    statuses = [c["status"] for c in cancelled.json()["data"]["classes"]]
    assert statuses == ["scheduled", "cancelled", "cancelled", "cancelled"]
    again = await platform.call(
        "DELETE", f"/api/class-series/{series['id']}/from/{ids[1]}", platform.mentor
    )
    assert again.status_code == 422
    stranger = await platform.call(
        "DELETE", f"/api/class-series/{series['id']}/from/{ids[0]}", platform.students[0]
    )
    assert stranger.status_code == 403


async def test_a_provider_failure_stores_nothing_and_deletes_what_was_made(
    scripted_platform: Platform,
    scripted_provider: ScriptedProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    original = scripted_provider.create_meeting

    async def third_fails(request: MeetingRequest) -> Meeting:
        if len(made) == 2:
            raise ProviderError("Zoom is down", provider="zoom")
        meeting = await original(request)
        made.append(meeting.meeting_id)
        return meeting

    monkeypatch.setattr(scripted_provider, "create_meeting", third_fails)
    response = await scripted_platform.call(
        "POST",
        "/api/class-series",
        scripted_platform.mentor,
        json={
            "course_id": scripted_platform.course_id,
            "title": "Doomed",
            "provider": "zoom",
            "scheduled_start": FIRST.isoformat(),
            "scheduled_end": (FIRST + timedelta(hours=1)).isoformat(),
            "rrule": "FREQ=WEEKLY;COUNT=5",
        },
    )
    assert response.status_code == 502, response.text
    assert set(made) <= set(scripted_provider.deleted) and len(made) == 2
    listed = await scripted_platform.call(
        "GET",
        "/api/live-classes",
        scripted_platform.mentor,
        params={"course_id": scripted_platform.course_id},
    )
    assert listed.json()["count"] == 0
