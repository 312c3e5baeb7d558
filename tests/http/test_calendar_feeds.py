"""Calendar feeds as a calendar app sees them: parsed back with ``icalendar``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar

from tests.support.platform import Person, Platform


async def new_feed(platform: Platform, who: Person, **body: Any) -> dict[str, Any]:
    response = await platform.call("POST", "/api/calendar-feeds", who, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def fetch(platform: Platform, feed: dict[str, Any]) -> Calendar:
    """GET the feed's URL without any token, as a calendar app does."""
    response = await platform.http.get(urlsplit(feed["url"]).path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


async def test_a_person_feed_holds_their_classes_with_stable_uids(platform: Platform) -> None:
    start = datetime(2031, 3, 4, 17, tzinfo=UTC)
    klass = await platform.schedule(
        title="Statistics",
        description="Bring a calculator",
        timezone="Europe/Berlin",
        scheduled_start=start.isoformat(),
        scheduled_end=(start + timedelta(minutes=90)).isoformat(),
    )
    feed = await new_feed(platform, platform.students[0], kind="person")
    assert feed["kind"] == "person" and feed["url"].endswith(".ics")
    calendar = await fetch(platform, feed)
    assert str(calendar["X-WR-CALNAME"]) == "My live classes"
    event = events(calendar)[f"{klass['id']}@liveclass"]
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Statistics"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == klass["join_url"]
    assert str(event["X-LIVECLASS-TIMEZONE"]) == "Europe/Berlin"
    assert "Time zone: Europe/Berlin" in str(event["DESCRIPTION"])
    assert "Bring a calculator" in str(event["DESCRIPTION"])
    again = events(await fetch(platform, feed))
    assert f"{klass['id']}@liveclass" in again
    # Someone outside the course does not see it in their own feed.
    outsider = platform.person("stranger", "Stranger", platform.students[0].role)
    theirs = await new_feed(platform, outsider, kind="person")
    assert f"{klass['id']}@liveclass" not in events(await fetch(platform, theirs))


async def test_a_moved_class_bumps_sequence_and_a_cancelled_one_stays(platform: Platform) -> None:
    klass = await platform.schedule()
    feed = await new_feed(platform, platform.mentor, kind="course", course_id=platform.course_id)
    uid = f"{klass['id']}@liveclass"
    new_start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    moved = await platform.call(
        "PATCH",
        f"/api/live-classes/{klass['id']}",
        platform.mentor,
        json={
            "scheduled_start": new_start.isoformat(),
            "scheduled_end": (new_start + timedelta(hours=1)).isoformat(),
        },
    )
    assert moved.status_code == 200, moved.text
    event = events(await fetch(platform, feed))[uid]
    assert (int(event["SEQUENCE"]), event.decoded("DTSTART")) == (1, new_start)
    cancelled = await platform.call("DELETE", f"/api/live-classes/{klass['id']}", platform.mentor)
    assert cancelled.status_code == 200
    event = events(await fetch(platform, feed))[uid]
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 2)


async def test_rotated_and_revoked_tokens_give_404(platform: Platform) -> None:
    student = platform.students[1]
    feed = await new_feed(platform, student, kind="course", course_id=platform.course_id)
    await fetch(platform, feed)
    rotated = await platform.call("POST", f"/api/calendar-feeds/{feed['id']}/rotate", student)
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()["data"]
    assert fresh["url"] != feed["url"] and fresh["id"] == feed["id"]
    old = await platform.http.get(urlsplit(feed["url"]).path)
    assert old.status_code == 404 and old.json()["error"]["code"] == "not_found"
    await fetch(platform, fresh)
    listed = await platform.call("GET", "/api/calendar-feeds", student)
    assert [f["id"] for f in listed.json()["data"]] == [feed["id"]]
    assert "url" not in listed.json()["data"][0]
    revoked = await platform.call("DELETE", f"/api/calendar-feeds/{feed['id']}", student)
    assert revoked.json()["data"] == {"revoked": True}
    assert (await platform.http.get(urlsplit(fresh["url"]).path)).status_code == 404
    again = await platform.call("DELETE", f"/api/calendar-feeds/{feed['id']}", student)
    assert again.status_code == 404
    assert (await platform.http.get("/calendar/not-a-token.ics")).status_code == 404


async def test_course_feeds_need_the_course(platform: Platform) -> None:
    outsider = platform.person("nobody", "No Body", platform.students[0].role)
    denied = await platform.call(
        "POST",
        "/api/calendar-feeds",
        outsider,
        json={"kind": "course", "course_id": platform.course_id},
    )
    assert denied.status_code == 403
    missing = await platform.call(
        "POST", "/api/calendar-feeds", platform.admin, json={"kind": "course", "course_id": "nope"}
    )
    assert missing.status_code == 404
    for body in ({"kind": "course"}, {"kind": "person", "course_id": "x"}, {"kind": "team"}):
        bad = await platform.call("POST", "/api/calendar-feeds", platform.admin, json=body)
        assert bad.status_code == 400, body
    assert (await platform.http.get("/api/calendar-feeds")).status_code == 401


async def test_a_course_feed_stops_when_its_owner_leaves_the_course(platform: Platform) -> None:
    student = platform.students[0]
    feed = await new_feed(platform, student, kind="course", course_id=platform.course_id)
    await fetch(platform, feed)
    await platform.sync_course(
        platform.course_id,
        mentors=[platform.mentor.user_id],
        students=[platform.students[1].user_id],
    )
    assert (await platform.http.get(urlsplit(feed["url"]).path)).status_code == 404
