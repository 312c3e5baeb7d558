"""The edge of the HTTP API: integers, times, unknown parameters, control characters, nulls.

Every case is a clear 400 naming the parameter or field, never a 500, and
nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.app import OPERATIONS
from server.auth import Role, issue_token
from tests.http.test_bad_input import GOOD, class_count, error_of
from tests.support.platform import Platform

PAGED = [op.path for op in OPERATIONS if op.paginated]
BIG = str(2**64)


def concrete(path: str, class_id: str) -> str:
    return path.replace("{class_id}", class_id)


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize(
    ("query", "name"),
    [
        (f"offset={BIG}", "offset"),
        (f"offset={2**63}", "offset"),
        (f"limit={BIG}", "limit"),
        ("offset=²", "offset"),  # "²".isdigit() is true
        ("offset=%D9%A3", "offset"),  # Arabic-Indic 3
        ("limit=+5", "limit"),
        ("limit=1_0", "limit"),
        ("offset=5.0", "offset"),
        ("offset=%205", "offset"),
    ],
)
async def test_paged_lists_take_only_ascii_digits_within_64_bits(
    platform: Platform, path: str, query: str, name: str
) -> None:
    class_id = (await platform.schedule())["id"]
    response = await platform.call("GET", f"{concrete(path, class_id)}?{query}", platform.admin)
    assert name in error_of(response, 400, "bad_request")["details"]


async def test_the_largest_offset_is_an_empty_page(platform: Platform) -> None:
    await platform.schedule()
    response = await platform.call("GET", f"/api/live-classes?offset={2**63 - 1}", platform.admin)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == [] and response.json()["count"] == 1


@pytest.mark.parametrize("event_id", ["²", "%D9%A3", BIG, str(2**31), "-1", "1.0", "%201"])
async def test_webhook_replay_ids_are_ascii_numbers_in_range(
    platform: Platform, event_id: str
) -> None:
    response = await platform.call(
        "POST", f"/api/admin/webhook-events/{event_id}/replay", platform.admin
    )
    assert "event_id" in error_of(response, 400, "bad_request")["details"]
    missing = await platform.call(
        "POST", f"/api/admin/webhook-events/{2**31 - 1}/replay", platform.admin
    )
    error_of(missing, 404, "not_found")


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-1", "1e9"])
async def test_time_filters_are_dates_not_numbers(platform: Platform, value: str) -> None:
    for name in ("to", "from"):
        response = await platform.call("GET", f"/api/live-classes?{name}={value}", platform.mentor)
        assert name in error_of(response, 400, "bad_request")["details"]
    fine = await platform.call(
        "GET",
        "/api/live-classes?from=2032-03-01T09:00:00Z&to=2032-03-02T09:00:00%2B02:00",
        platform.mentor,
    )
    assert fine.status_code == 200, fine.text


async def test_unknown_and_repeated_query_parameters_are_refused(platform: Platform) -> None:
    mine = await platform.schedule()
    platform.course_id = "course-2"
    await platform.sync_course("course-2", mentors=[platform.mentor.user_id], students=[])
    await platform.schedule()
    # The misspelling used to return every class.
    misspelt = await platform.call("GET", "/api/live-classes?courseId=course-1", platform.mentor)
    error = error_of(misspelt, 400, "bad_request")
    assert "courseId" in error["details"] and "course_id" in error["message"]
    exact = await platform.call("GET", "/api/live-classes?course_id=course-1", platform.mentor)
    assert [c["id"] for c in exact.json()["data"]] == [mine["id"]]

    stray = await platform.call(
        "GET", f"/api/live-classes/{mine['id']}?expand=all", platform.mentor
    )
    assert "expand" in error_of(stray, 400, "bad_request")["details"]
    twice = await platform.call("GET", "/api/live-classes?limit=1&limit=2", platform.mentor)
    assert "limit" in error_of(twice, 400, "bad_request")["details"]
    attendance = await platform.call(
        "GET", f"/api/live-classes/{mine['id']}/attendance?format=csv&fromat=json", platform.mentor
    )
    assert "fromat" in error_of(attendance, 400, "bad_request")["details"]


NUL_BODIES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/live-classes", {**GOOD, "title": "Gra\x00phs"}, "title"),
    ("POST", "/api/live-classes", {**GOOD, "description": "a\x07b"}, "description"),
    ("POST", "/api/live-classes", {**GOOD, "course_id": "course-1\x00"}, "course_id"),
    ("POST", "/api/live-classes", {**GOOD, "settings": {"chat\x1b": True}}, "settings"),
    ("PUT", "/api/courses/course-9", {"title": "T\x00", "mentors": []}, "title"),
    ("PUT", "/api/courses/course-9", {"title": "T", "mentors": ["m\x00"]}, "mentors.0"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), NUL_BODIES)
async def test_control_characters_in_bodies_name_the_field(
    platform: Platform, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = await platform.call(method, path, platform.admin, json=body)
    error = error_of(response, 400, "bad_request")
    assert field in error["details"], error
    assert "control characters" in error["message"]
    assert await class_count(platform) == 0
    assert (await platform.call("GET", "/api/courses/course-9", platform.admin)).status_code == 404


async def test_control_characters_in_interactions_path_and_query(platform: Platform) -> None:
    class_id = (await platform.schedule())["id"]
    await platform.call("POST", f"/api/live-classes/{class_id}/start", platform.mentor)
    base = f"/api/live-classes/{class_id}"
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/chat", {"text": "hi\x00"}, "text"),
        ("/qa", {"text": "why\x00?"}, "text"),
        ("/polls", {"question": "Q\x00", "kind": "text"}, "question"),
        ("/polls", {"question": "Q", "kind": "single", "options": ["a", "b\x00"]}, "options.1"),
        ("/resources", {"kind": "link", "title": "T\x00", "url": "https://x.example"}, "title"),
        ("/interactions", {"interaction_type": "chat", "content": "c\x00"}, "content"),
    ]
    for suffix, body, field in cases:
        response = await platform.call("POST", base + suffix, platform.mentor, json=body)
        assert field in error_of(response, 400, "bad_request")["details"], (suffix, response.text)
    history = await platform.call("GET", f"{base}/interactions", platform.mentor)
    assert history.json()["count"] == 0
    # Tabs and line breaks are text.
    kept = await platform.call("POST", f"{base}/chat", platform.mentor, json={"text": "a\tb\r\nc"})
    assert kept.status_code == 201 and kept.json()["data"]["text"] == "a\tb\r\nc", kept.text

    in_path = await platform.call("GET", "/api/courses/course%001", platform.admin)
    assert "course_id" in error_of(in_path, 400, "bad_request")["details"]
    in_query = await platform.call("GET", "/api/live-classes?course_id=c%00", platform.admin)
    assert "course_id" in error_of(in_query, 400, "bad_request")["details"]


async def test_token_claims_with_control_characters(platform: Platform) -> None:
    settings = platform.server.settings
    named = issue_token(
        settings, sub="student-1", org=platform.org, role=Role.STUDENT, name="Sam\x00 S\x1b"
    )
    class_id = (await platform.schedule())["id"]
    joined = await platform.call(
        "POST",
        f"/api/live-classes/{class_id}/join",
        None,
        headers={"Authorization": f"Bearer {named}"},
    )
    assert joined.status_code == 200, joined.text
    people = await platform.call(
        "GET", f"/api/live-classes/{class_id}/participants", platform.mentor
    )
    assert [p["user"]["name"] for p in people.json()["data"]] == ["Sam S"]
    for claim in ("sub", "org"):
        fields = {"sub": "student-1", "org": platform.org, claim: "x\x00y"}
        bad = issue_token(settings, sub=fields["sub"], org=fields["org"], role=Role.STUDENT)
        refused = await platform.call(
            "GET", "/api/live-classes", None, headers={"Authorization": f"Bearer {bad}"}
        )
        assert claim in error_of(refused, 401, "unauthorized")["message"]


@pytest.mark.parametrize(
    "field", ["title", "timezone", "scheduled_start", "scheduled_end", "auto_recording"]
)
async def test_null_is_refused_where_a_class_needs_a_value(platform: Platform, field: str) -> None:
    created = await platform.schedule()
    for method in ("PATCH", "PUT"):
        response = await platform.call(
            method, f"/api/live-classes/{created['id']}", platform.mentor, json={field: None}
        )
        assert field in error_of(response, 400, "bad_request")["details"]
    after = await platform.call("GET", f"/api/live-classes/{created['id']}", platform.mentor)
    assert after.json()["data"][field] == created[field]


async def test_null_clears_what_may_be_empty(platform: Platform) -> None:
    created = await platform.schedule(description="notes", max_participants=5)
    response = await platform.call(
        "PATCH",
        f"/api/live-classes/{created['id']}",
        platform.mentor,
        json={"description": None, "max_participants": None, "settings": None},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["description"] is None and data["max_participants"] is None
    assert data["settings"] == created["settings"] and data["title"] == created["title"]


async def test_the_openapi_document_says_the_same(platform: Platform) -> None:
    document = (await platform.http.get("/openapi.json")).json()
    update = document["components"]["schemas"]["ClassUpdate"]["properties"]
    for field in ("title", "timezone", "scheduled_start", "scheduled_end", "auto_recording"):
        assert "null" not in str(update[field]), (field, update[field])
    assert "null" in str(update["description"]) and "null" in str(update["max_participants"])
    errors = document["components"]["schemas"]["ErrorBody"]["properties"]["details"]
    assert {"type": "string"} in [option.get("additionalProperties") for option in errors["anyOf"]]
    listing = document["paths"]["/api/live-classes/{class_id}/join"]["post"]["responses"]
    assert "409" in listing
