"""Who may call what: every role against every class route, on a fresh class each time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.auth import Role
from tests.support.platform import Person, Platform

ROLES = [
    "anonymous",
    "student_of_other_course",
    "enrolled_student",
    "mentor_of_other_course",
    "class_mentor",
    "admin_of_other_org",
    "admin",
]


async def people(platform: Platform) -> dict[str, Person | None]:
    await platform.sync_course("course-2", mentors=["mentor-2"], students=["student-9"])
    return {
        "anonymous": None,
        "student_of_other_course": platform.person("student-9", "Outsider", Role.STUDENT),
        "enrolled_student": platform.students[0],
        "mentor_of_other_course": platform.person("mentor-2", "Other Mentor", Role.MENTOR),
        "class_mentor": platform.mentor,
        "admin_of_other_org": platform.person(
            "admin", "Foreign Admin", Role.ADMIN, org=f"{platform.org}-other"
        ),
        "admin": platform.admin,
    }


def _future() -> dict[str, str]:
    start = datetime.now(UTC) + timedelta(days=2)
    return {
        "scheduled_start": start.isoformat(),
        "scheduled_end": (start + timedelta(hours=1)).isoformat(),
    }


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {id} is the fresh class
    expected: dict[str, int]
    body: dict[str, Any] | None = None
    live_first: bool = False


HOSTS_ONLY = {
    "anonymous": 401,
    "student_of_other_course": 403,
    "enrolled_student": 403,
    "mentor_of_other_course": 403,
    "class_mentor": 200,
    "admin_of_other_org": 404,
    "admin": 200,
}
MEMBERS = {**HOSTS_ONLY, "enrolled_student": 200}

CASES = {
    "get": Case("GET", "/api/live-classes/{id}", MEMBERS),
    "participants": Case("GET", "/api/live-classes/{id}/participants", MEMBERS),
    "join": Case("POST", "/api/live-classes/{id}/join", MEMBERS),
    "leave": Case("DELETE", "/api/live-classes/{id}/join", MEMBERS),
    "patch": Case("PATCH", "/api/live-classes/{id}", HOSTS_ONLY, body={"title": "New"}),
    "put": Case("PUT", "/api/live-classes/{id}", HOSTS_ONLY, body={"title": "New"}),
    "cancel": Case("DELETE", "/api/live-classes/{id}", HOSTS_ONLY),
    "start": Case("POST", "/api/live-classes/{id}/start", HOSTS_ONLY),
    "end": Case("POST", "/api/live-classes/{id}/end", HOSTS_ONLY, live_first=True),
    "attendance": Case("GET", "/api/live-classes/{id}/attendance", HOSTS_ONLY),
    "create": Case(
        "POST",
        "/api/live-classes",
        {
            **HOSTS_ONLY,
            "class_mentor": 201,
            "admin": 201,
            # Their organization has no course-1: nothing of ours is revealed.
            "admin_of_other_org": 404,
        },
        body={"course_id": "course-1", "title": "T", **_future()},
    ),
    "list": Case(
        "GET",
        "/api/live-classes",
        {role: 200 for role in ROLES} | {"anonymous": 401},
    ),
    "course_sync": Case(
        "PUT",
        "/api/courses/course-1",
        {
            "anonymous": 401,
            "student_of_other_course": 403,
            "enrolled_student": 403,
            "mentor_of_other_course": 403,
            "class_mentor": 403,
            "admin_of_other_org": 200,  # upserts course-1 in *their* organization
            "admin": 200,
        },
        body={"title": "Course 1", "mentors": ["mentor-1"]},
    ),
    "enrollments": Case(
        "POST",
        "/api/courses/course-1/enrollments",
        {**HOSTS_ONLY, "class_mentor": 403, "admin_of_other_org": 404},
        body={"students": ["student-1"]},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_role_matrix(platform: Platform, name: str) -> None:
    case = CASES[name]
    who = await people(platform)
    seen: dict[str, int] = {}
    for role in ROLES:
        created = await platform.schedule()
        if case.live_first:
            started = await platform.call(
                "POST", f"/api/live-classes/{created['id']}/start", platform.mentor
            )
            assert started.status_code == 200
        response = await platform.call(
            case.method, case.path.format(id=created["id"]), who[role], json=case.body
        )
        seen[role] = response.status_code
        body = response.json()
        assert body["success"] is (response.status_code < 400), response.text
        if response.status_code >= 400:
            assert set(body["error"]) >= {"code", "message"}
    assert seen == case.expected


async def test_the_list_never_leaks_other_courses_or_orgs(platform: Platform) -> None:
    who = await people(platform)
    created = await platform.schedule()
    own = await platform.call("GET", "/api/live-classes", platform.students[0])
    assert created["id"] in own.text  # where it belongs, the list shows it
    for role in ("student_of_other_course", "mentor_of_other_course", "admin_of_other_org"):
        listing = await platform.call("GET", "/api/live-classes", who[role])
        assert listing.status_code == 200, listing.text  # a refusal would hide nothing
        assert created["id"] not in listing.text
