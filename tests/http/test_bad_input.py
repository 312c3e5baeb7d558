"""Bad input of every kind gets the error envelope, never a 500, and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from server.auth import Role, issue_token
from tests.support.bounds import PAGE_LIMIT_MAX
from tests.support.platform import Platform

START = datetime(2032, 3, 1, 9, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "course_id": "course-1",
    "title": "Graphs",
    "scheduled_start": START.isoformat(),
    "scheduled_end": (START + timedelta(hours=1)).isoformat(),
}


async def class_count(platform: Platform) -> int:
    listing = await platform.call("GET", "/api/live-classes", platform.admin)
    count: int = listing.json()["count"]
    return count


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"course_id": "course-1", "title": ', "malformed JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b"", "JSON body is required"),
        (b"\xff\xfe not utf-8", "malformed JSON"),
    ],
)
async def test_unparseable_bodies(platform: Platform, raw: bytes, message: str) -> None:
    response = await platform.call(
        "POST",
        "/api/live-classes",
        platform.mentor,
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert message in error_of(response, 400, "bad_request")["message"]
    assert await class_count(platform) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": 5}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"scheduled_start": 1234}, "scheduled_start"),
        ({"scheduled_start": "tomorrow"}, "scheduled_start"),
        ({"scheduled_start": "2032-03-01T09:00:00"}, "scheduled_start"),  # no offset
        ({"scheduled_end": "2032-02-30T10:00:00Z"}, "scheduled_end"),
        ({"max_participants": "5"}, "max_participants"),
        ({"max_participants": 0}, "max_participants"),
        ({"settings": {"chat": "yes"}}, "settings.chat"),
        ({"settings": {"karaoke": True}}, "settings.karaoke"),
        ({"provider": "skype"}, "provider"),
        ({"auto_recording": "sometimes"}, "auto_recording"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"unexpected": 1}, "unexpected"),
        ({"course_id": None}, "course_id"),
    ],
)
async def test_wrong_types_and_values_name_the_field(
    platform: Platform, change: dict[str, Any], field: str
) -> None:
    response = await platform.call(
        "POST", "/api/live-classes", platform.mentor, json={**GOOD, **change}
    )
    details = error_of(response, 400, "bad_request")["details"]
    assert field in details, details
    assert await class_count(platform) == 0


@pytest.mark.parametrize(
    "end",
    [START, START - timedelta(minutes=1), START + timedelta(hours=25)],
    ids=["equal", "before", "longer-than-a-day"],
)
async def test_schedules_that_make_no_sense(platform: Platform, end: datetime) -> None:
    response = await platform.call(
        "POST",
        "/api/live-classes",
        platform.mentor,
        json={**GOOD, "scheduled_end": end.isoformat()},
    )
    error_of(response, 400, "bad_request")
    assert await class_count(platform) == 0


async def test_join_url_only_with_manual_and_required_there(platform: Platform) -> None:
    stray = await platform.call(
        "POST", "/api/live-classes", platform.mentor, json={**GOOD, "join_url": "https://x.example"}
    )
    error_of(stray, 400, "bad_request")
    missing = await platform.call(
        "POST", "/api/live-classes", platform.mentor, json={**GOOD, "provider": "manual"}
    )
    assert "join_url" in error_of(missing, 400, "bad_request")["details"]
    assert await class_count(platform) == 0


async def test_patch_with_an_end_before_the_stored_start_changes_nothing(
    platform: Platform,
) -> None:
    created = await platform.schedule()
    path = f"/api/live-classes/{created['id']}"
    early = datetime.fromisoformat(created["scheduled_start"]) - timedelta(hours=1)
    response = await platform.call(
        "PATCH", path, platform.mentor, json={"scheduled_end": early.isoformat(), "title": "X"}
    )
    assert "scheduled_end" in error_of(response, 400, "bad_request")["details"]
    after = (await platform.call("GET", path, platform.mentor)).json()["data"]
    assert (after["title"], after["scheduled_end"]) == (created["title"], created["scheduled_end"])


async def _chunks(size: int) -> AsyncIterator[bytes]:
    yield b'{"title": "'
    for _ in range(size // 65536 + 1):
        yield b"x" * 65536
    yield b'"}'


async def test_huge_bodies_are_refused_with_or_without_a_length(platform: Platform) -> None:
    limit = platform.server.settings.max_body_bytes
    declared = await platform.call(
        "POST", "/api/live-classes", platform.mentor, json={**GOOD, "description": "x" * limit}
    )
    error_of(declared, 413, "payload_too_large")
    streamed = await platform.call(
        "POST",
        "/api/live-classes",
        platform.mentor,
        content=_chunks(limit),
        headers={"Content-Type": "application/json"},
    )
    error_of(streamed, 413, "payload_too_large")
    assert await class_count(platform) == 0


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        f"limit={PAGE_LIMIT_MAX + 1}",
        "offset=-1",
        "limit=ten",
        "status=paused",
        "from=yesterday",
    ],
)
async def test_bad_list_parameters(platform: Platform, query: str) -> None:
    response = await platform.call("GET", f"/api/live-classes?{query}", platform.mentor)
    error_of(response, 400, "bad_request")


async def test_unknown_ids_routes_and_methods(platform: Platform) -> None:
    for path in ("/api/live-classes/nope", "/api/live-classes/nope/attendance"):
        error_of(await platform.call("GET", path, platform.mentor), 404, "not_found")
    error_of(await platform.call("GET", "/api/nothing-here", platform.mentor), 404, "not_found")
    assert (await platform.call("PATCH", "/api/live-classes", platform.mentor)).status_code == 405
    error_of(await platform.call("GET", "/api/courses/unknown", platform.admin), 404, "not_found")
    error_of(
        await platform.call(
            "PUT", "/api/courses/unknown/enrollments", platform.admin, json={"students": []}
        ),
        404,
        "not_found",
    )


async def test_a_student_cannot_create_and_nothing_is_stored(platform: Platform) -> None:
    response = await platform.call("POST", "/api/live-classes", platform.students[0], json=GOOD)
    error_of(response, 403, "forbidden")
    assert await class_count(platform) == 0


async def test_another_organization_cannot_tell_a_class_exists(platform: Platform) -> None:
    created = await platform.schedule()
    foreign = platform.person("mentor-1", "Same Id Elsewhere", Role.ADMIN, org=f"{platform.org}-x")
    unknown = await platform.call("GET", "/api/live-classes/does-not-exist", foreign)
    real = await platform.call("GET", f"/api/live-classes/{created['id']}", foreign)
    assert error_of(real, 404, "not_found") == error_of(unknown, 404, "not_found")


async def test_expired_forged_and_missing_tokens(platform: Platform) -> None:
    settings = platform.server.settings
    expired = issue_token(
        settings, sub="mentor-1", org=platform.org, role=Role.MENTOR, ttl=timedelta(seconds=-120)
    )
    forged = jwt.encode(
        {"sub": "mentor-1", "org": platform.org, "role": "admin", "exp": 4102444800},
        "not-the-server-secret-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    for headers in (
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": "Bearer not.a.jwt"},
        {},
    ):
        response = await platform.http.post("/api/live-classes", json=GOOD, headers=headers)
        error_of(response, 401, "unauthorized")
    assert await class_count(platform) == 0
