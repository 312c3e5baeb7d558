"""A learning platform in miniature: tokens for its people and the course sync calls."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.auth import Role, issue_token

from .servers import LiveServer

__all__ = ["Person", "Platform"]


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Platform:
    server: LiveServer
    org: str
    http: httpx.AsyncClient
    course_id: str = "course-1"
    admin: Person = field(init=False)
    mentor: Person = field(init=False)
    students: list[Person] = field(init=False)

    @classmethod
    @asynccontextmanager
    async def create(cls, server: LiveServer, *, org: str) -> AsyncIterator[Platform]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            world = cls(server=server, org=org, http=http)
            world.admin = world.person("admin", "Ada Admin", Role.ADMIN)
            world.mentor = world.person("mentor-1", "Grace Mentor", Role.MENTOR)
            world.students = [
                world.person("student-1", "Sam Student", Role.STUDENT),
                world.person("student-2", "Lee Learner", Role.STUDENT),
            ]
            await world.sync_course(
                world.course_id,
                mentors=[world.mentor.user_id],
                students=[s.user_id for s in world.students],
            )
            yield world

    def person(
        self,
        user_id: str,
        name: str,
        role: Role,
        *,
        org: str | None = None,
        email: str | None = None,
    ) -> Person:
        token = issue_token(
            self.server.settings,
            sub=user_id,
            org=org or self.org,
            role=role,
            name=name,
            email=email or f"{user_id}@example.com",
        )
        return Person(user_id, name, role, token)

    async def sync_course(self, course_id: str, *, mentors: list[str], students: list[str]) -> None:
        put = await self.http.put(
            f"/api/courses/{course_id}",
            json={"title": f"Course {course_id}", "mentors": mentors},
            headers=self.admin.headers,
        )
        assert put.status_code == 200, put.text
        enroll = await self.http.put(
            f"/api/courses/{course_id}/enrollments",
            json={"students": students},
            headers=self.admin.headers,
        )
        assert enroll.status_code == 200, enroll.text

    async def call(
        self, method: str, path: str, who: Person | None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers.update(who.headers)
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def schedule(self, who: Person | None = None, **fields: Any) -> dict[str, Any]:
        """Create a class starting in an hour (fields override); returns its data."""
        start = datetime.now(UTC) + timedelta(hours=1)
        body: dict[str, Any] = {
            "course_id": self.course_id,
            "title": f"Class {secrets.token_hex(3)}",
            "scheduled_start": start.isoformat(),
            "scheduled_end": (start + timedelta(hours=1)).isoformat(),
        }
        body.update(fields)
        response = await self.call("POST", "/api/live-classes", who or self.mentor, json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data
