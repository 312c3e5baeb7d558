"""``liveclass demo``: a ready classroom on the configured database, for a first look.

It seeds what a learning platform would push (an organization, a course, its
mentor and three students) through the server's own HTTP API, makes sure one
demo class is live, and returns a sign-in URL per person.  Running it again
reuses the course, the people and the class that is still scheduled or live;
only when the previous demo class has ended or been cancelled is a new one
created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .auth import Role, issue_token
from .settings import Settings

__all__ = ["DEMO_PEOPLE", "SignIn", "seed_demo"]

ORG = "demo"
COURSE = "demo-course"
CLASS_TITLE = "Demo class: a first look at liveclass"
TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    role: Role


DEMO_PEOPLE = [
    DemoPerson("demo-mentor", "Maya Mentor", Role.MENTOR),
    DemoPerson("demo-student-1", "Ben Student", Role.STUDENT),
    DemoPerson("demo-student-2", "Chloe Student", Role.STUDENT),
    DemoPerson("demo-student-3", "Dev Student", Role.STUDENT),
]
_ADMIN = DemoPerson("demo-admin", "Demo Admin", Role.ADMIN)


@dataclass(frozen=True)
class SignIn:
    name: str
    role: str
    url: str


def _token(settings: Settings, person: DemoPerson) -> str:
    # The same signing as `liveclass token`, so the server accepts it under this configuration.
    return issue_token(
        settings, sub=person.user_id, org=ORG, role=person.role, name=person.name, ttl=TOKEN_TTL
    )


def _data(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.text}"
        )
    return response.json()["data"]


async def seed_demo(settings: Settings, api_url: str, public_url: str) -> tuple[str, list[SignIn]]:
    """Seed through the API at ``api_url``; returns the class id and a sign-in per person."""
    admin = {"Authorization": f"Bearer {_token(settings, _ADMIN)}"}
    mentor = {"Authorization": f"Bearer {_token(settings, DEMO_PEOPLE[0])}"}
    students = [p.user_id for p in DEMO_PEOPLE if p.role is Role.STUDENT]
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        course = {"title": "Demo course", "mentors": [DEMO_PEOPLE[0].user_id]}
        _data(await http.put(f"/api/courses/{COURSE}", json=course, headers=admin))
        _data(
            await http.put(
                f"/api/courses/{COURSE}/enrollments", json={"students": students}, headers=admin
            )
        )
        class_id = await _live_demo_class(http, mentor)
    signins = [
        SignIn(
            person.name,
            "mentor" if person.role is Role.MENTOR else "student",
            f"{public_url}/classes/{class_id}#token={_token(settings, person)}",
        )
        for person in DEMO_PEOPLE
    ]
    return class_id, signins


async def _live_demo_class(http: httpx.AsyncClient, mentor: dict[str, str]) -> str:
    for status in ("live", "scheduled"):
        found = _data(
            await http.get(
                "/api/live-classes",
                params={"course_id": COURSE, "status": status, "limit": 100},
                headers=mentor,
            )
        )
        for cls in found:
            if cls["title"] == CLASS_TITLE:
                if status == "scheduled":
                    _data(await http.post(f"/api/live-classes/{cls['id']}/start", headers=mentor))
                return str(cls["id"])
    start = datetime.now(UTC).replace(microsecond=0)
    created = _data(
        await http.post(
            "/api/live-classes",
            json={
                "course_id": COURSE,
                "title": CLASS_TITLE,
                "description": "Chat, questions, polls and hands: try them from two windows.",
                "scheduled_start": start.isoformat(),
                "scheduled_end": (start + timedelta(hours=2)).isoformat(),
                "provider": "jitsi",
            },
            headers=mentor,
        )
    )
    _data(await http.post(f"/api/live-classes/{created['id']}/start", headers=mentor))
    return str(created["id"])
