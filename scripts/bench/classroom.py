"""What the classroom benchmarks share: tokens, a course with students, classes, sockets.

Everything talks to servers the benchmark started itself on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from scripts.bench.sioclient import SioClient
from server.auth import Role, issue_token
from server.settings import Settings

__all__ = [
    "BASE_ENV",
    "ORG",
    "connect_all",
    "create_classes",
    "enroll",
    "headers",
    "token",
]

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
ORG = "bench-org"
BASE_ENV = {
    "LIVECLASS_JWT_SECRET": SECRET,
    "LIVECLASS_SECRET_KEY": SECRET,
    "LIVECLASS_LOG_LEVEL": "WARNING",
}
_SETTINGS = Settings(_env_file=None, jwt_secret=SECRET)


def token(sub: str, role: Role = Role.STUDENT) -> str:
    return issue_token(
        _SETTINGS,
        sub=sub,
        org=ORG,
        role=role,
        name=f"User {sub}",
        email=f"{sub}@example.com",
        ttl=timedelta(hours=2),
    )


def headers(sub: str, role: Role = Role.STUDENT) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, role)}"}


async def enroll(http: httpx.AsyncClient, course_id: str, students: Sequence[str]) -> None:
    """The course with ``mentor`` teaching it and ``students`` enrolled."""
    admin = headers("admin", Role.ADMIN)
    made = await http.put(
        f"/api/courses/{course_id}", json={"title": "Bench", "mentors": ["mentor"]}, headers=admin
    )
    made.raise_for_status()
    for at in range(0, len(students), 500):
        enrolled = await http.post(  # PUT would replace the earlier batches
            f"/api/courses/{course_id}/enrollments",
            json={"students": list(students[at : at + 500])},
            headers=admin,
        )
        enrolled.raise_for_status()


async def create_classes(
    http: httpx.AsyncClient, course_id: str, count: int, *, live: bool
) -> list[str]:
    """``count`` classes of the course a day apart, by ``mentor``; started if ``live``."""
    mentor = headers("mentor", Role.MENTOR)
    first = datetime.now(UTC) + timedelta(minutes=5)
    ids: list[str] = []
    for n in range(count):
        start = first + timedelta(days=n)
        created = await http.post(
            "/api/live-classes",
            headers=mentor,
            json={
                "course_id": course_id,
                "title": f"Bench {n}",
                "scheduled_start": start.isoformat(),
                "scheduled_end": (start + timedelta(hours=1)).isoformat(),
            },
        )
        if created.status_code != 201:
            raise RuntimeError(created.text)
        ids.append(created.json()["data"]["id"])
        if live:
            started = await http.post(f"/api/live-classes/{ids[-1]}/start", headers=mentor)
            started.raise_for_status()
    return ids


async def connect_all(
    url: str,
    subs: Sequence[str],
    *,
    listener: Callable[[int], Callable[[str, Any, float], None] | None] = lambda _: None,
    batch: int = 100,
) -> list[SioClient]:
    """Connected (not joined) students, ``batch`` at a time; ``listener(i)`` per client."""
    clients: list[SioClient] = []
    for at in range(0, len(subs), batch):
        group = [
            SioClient(url, token(sub), listener=listener(at + i))
            for i, sub in enumerate(subs[at : at + batch])
        ]
        await asyncio.gather(*(client.connect() for client in group))
        clients += group
    return clients
