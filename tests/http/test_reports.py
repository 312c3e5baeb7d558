"""The class report and the course's grade-ready attendance match what happened."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from tests.support.clock import FakeClock
from tests.support.platform import Person, Platform


async def ok(platform: Platform, method: str, path: str, who: Person, **kwargs: Any) -> Any:
    response = await platform.call(method, path, who, **kwargs)
    assert response.is_success, f"{method} {path}: {response.text}"
    return response.json()["data"]


async def test_the_class_report_counts_what_each_did(platform: Platform, clock: FakeClock) -> None:
    sam, lee = platform.students
    mentor = platform.mentor
    start = clock.now
    klass = await platform.schedule(
        scheduled_start=start.isoformat(),
        scheduled_end=(start + timedelta(hours=1)).isoformat(),
    )
    base = f"/api/live-classes/{klass['id']}"
    await ok(platform, "POST", f"{base}/start", mentor)
    for who in (sam, lee):
        await ok(platform, "POST", f"{base}/join", who)
    for who, text in ((sam, "hello"), (sam, "=1+1"), (lee, "hi"), (mentor, "welcome")):
        await ok(platform, "POST", f"{base}/chat", who, json={"text": text})
    mine = await ok(platform, "POST", f"{base}/qa", sam, json={"text": "Why is the sky blue?"})
    secret = await ok(
        platform, "POST", f"{base}/qa", lee, json={"text": "A secret worry", "anonymous": True}
    )
    await ok(platform, "POST", f"{base}/qa/{secret['id']}/upvote", sam)
    await ok(platform, "POST", f"{base}/qa/{mine['id']}/answer", mentor, json={"text": "Light"})
    quiz = await ok(
        platform,
        "POST",
        f"{base}/polls",
        mentor,
        json={"question": "2+2?", "kind": "single", "options": ["3", "4"], "correct": [1]},
    )
    hidden = await ok(
        platform,
        "POST",
        f"{base}/polls",
        mentor,
        json={"question": "Mood?", "kind": "single", "options": ["ok", "meh"], "anonymous": True},
    )
    await ok(platform, "POST", f"{base}/polls/{quiz['id']}/respond", sam, json={"choice": 1})
    await ok(platform, "POST", f"{base}/polls/{quiz['id']}/respond", lee, json={"choice": 0})
    await ok(platform, "POST", f"{base}/polls/{hidden['id']}/respond", lee, json={"choice": 1})
    clock.advance(minutes=30)
    await ok(platform, "DELETE", f"{base}/join", lee)

    during = await ok(platform, "GET", f"{base}/report", mentor)
    assert during["status"] == "live" and during["totals"]["peak_online"] == 2

    clock.advance(minutes=30)
    await ok(platform, "POST", f"{base}/end", mentor)
    report = await ok(platform, "GET", f"{base}/report", platform.admin)
    people = {p["user_id"]: p for p in report["participants"]}
    figures = (
        "attended_seconds",
        "attendance_status",
        "chat_messages",
        "questions_asked",
        "upvotes_given",
        "poll_responses",
        "quiz_correct",
        "quiz_asked",
    )
    assert [people[sam.user_id][k] for k in figures] == [3600, "present", 2, 1, 1, 1, 1, 1]
    assert [people[lee.user_id][k] for k in figures] == [1800, "partial", 1, 0, 0, 1, 0, 1]
    assert people[mentor.user_id]["chat_messages"] == 1
    assert report["totals"] == {
        "participants": 3,
        "peak_online": 2,
        "duration_seconds": 3600,
        "chat_messages": 4,
        "messages_per_minute": 0.07,
        "questions_asked": 2,
        "anonymous_questions": 1,
        "questions_answered": 1,
        "upvotes": 1,
        "polls": 2,
        "poll_responses": 3,
        "anonymous_poll_responses": 1,
    }
    assert "secret worry" not in str(report)

    response = await platform.call("GET", f"{base}/report?format=csv", mentor)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_user = {r["user_id"]: r for r in rows}
    assert by_user[sam.user_id]["chat_messages"] == "2"
    assert by_user[lee.user_id]["questions_asked"] == "0"

    denied = await platform.call("GET", f"{base}/report", sam)
    assert denied.status_code == 403

    course = f"/api/courses/{platform.course_id}/attendance"
    summary = await ok(platform, "GET", course, mentor)
    assert [c["class_id"] for c in summary["classes"]] == [klass["id"]]
    students = {s["user_id"]: s for s in summary["students"]}
    assert students[sam.user_id] | {"name": ""} == {
        "user_id": sam.user_id,
        "name": "",
        "classes_held": 1,
        "classes_attended": 1,
        "classes_partial": 0,
        "classes_absent": 0,
        "attended_minutes": 60.0,
        "attendance_percent": 100.0,
    }
    assert (
        students[lee.user_id]["classes_partial"],
        students[lee.user_id]["attendance_percent"],
    ) == (1, 50.0)
    as_csv = await platform.call("GET", f"{course}?format=csv", platform.admin)
    graded = {r["user_id"]: r for r in csv.DictReader(io.StringIO(as_csv.text))}
    assert graded[lee.user_id]["attendance_percent"] == "50.0"
    assert graded[sam.user_id]["attended_minutes"] == "60.0"
    assert (await platform.call("GET", course, sam)).status_code == 403
    missing = await platform.call("GET", "/api/courses/nope/attendance", platform.admin)
    assert missing.status_code == 404
    bad = await platform.call("GET", f"{course}?format=xml", platform.admin)
    assert bad.status_code == 400
