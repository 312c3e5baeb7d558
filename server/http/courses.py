"""Course and enrollment sync routes (admin tokens of the platform)."""

from __future__ import annotations

from typing import Any

from ..schemas.courses import CourseOut, CourseUpsert, EnrollmentChange, EnrollmentsOut
from ..services import courses
from .routing import Call, Operation, api

__all__ = ["operations"]

COURSE = "/api/courses/{course_id}"
ENROLLMENTS = "/api/courses/{course_id}/enrollments"


@api(
    "PUT",
    COURSE,
    summary="Create or update a course and its mentors",
    tag="courses",
    body=CourseUpsert,
    response=CourseOut,
)
async def upsert_course(call: Call[CourseUpsert, Any]) -> CourseOut:
    return await courses.upsert(call.ctx, call.principal, call.path("course_id"), call.body)


@api("GET", COURSE, summary="A course with its mentors", tag="courses", response=CourseOut)
async def get_course(call: Call[Any, Any]) -> CourseOut:
    return await courses.get(call.ctx, call.principal, call.path("course_id"))


@api(
    "GET",
    ENROLLMENTS,
    summary="The course's enrolled students",
    tag="courses",
    response=EnrollmentsOut,
)
async def list_enrollments(call: Call[Any, Any]) -> EnrollmentsOut:
    return await courses.enrollments(call.ctx, call.principal, call.path("course_id"))


def _change(mode: str, method: str, summary: str) -> Operation:
    async def handler(call: Call[EnrollmentChange, Any]) -> EnrollmentsOut:
        return await courses.change_enrollments(
            call.ctx, call.principal, call.path("course_id"), call.body, mode=mode
        )

    return api(
        method,
        ENROLLMENTS,
        summary=summary,
        tag="courses",
        body=EnrollmentChange,
        response=EnrollmentsOut,
    )(handler)


operations = [
    upsert_course,
    get_course,
    list_enrollments,
    _change("replace", "PUT", "Replace the enrolled students"),
    _change("add", "POST", "Enroll more students"),
    _change("remove", "DELETE", "Unenroll students"),
]
