"""Course and enrollment sync payloads (platform -> liveclass, admin only)."""

from __future__ import annotations

from pydantic import Field

from .common import Identifier, RequestModel, ResponseModel

__all__ = ["CourseOut", "CourseUpsert", "EnrollmentChange", "EnrollmentsOut"]


class CourseUpsert(RequestModel):
    title: str = Field(min_length=1, max_length=300)
    mentors: list[Identifier] = Field(default_factory=list, max_length=1000)


class EnrollmentChange(RequestModel):
    students: list[Identifier] = Field(max_length=10_000)


class CourseOut(ResponseModel):
    course_id: str
    title: str
    mentors: list[str]
    student_count: int


class EnrollmentsOut(ResponseModel):
    course_id: str
    students: list[str]
