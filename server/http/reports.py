"""Report routes: the class report and the course's grade-ready attendance (JSON or CSV)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..schemas.classes import AttendanceQuery
from ..schemas.reports import (
    ClassReport,
    CourseAttendance,
    CourseAttendanceStudent,
    ReportParticipant,
)
from ..services import reports
from .csv_export import csv_response
from .routing import Call, api

__all__ = ["operations"]


@api(
    "GET",
    "/api/live-classes/{class_id}/report",
    summary="Engagement per participant and class totals (JSON, or CSV of the participants)",
    tag="reports",
    query=AttendanceQuery,
    response=ClassReport,
    extra_content=("text/csv",),
)
async def class_report(call: Call[Any, AttendanceQuery]) -> ClassReport | Response:
    report = await reports.class_report(call.ctx, call.principal, call.path("class_id"))
    if call.query.format == "csv":
        return csv_response(report.participants, ReportParticipant, f"report-{report.class_id}.csv")
    return report


@api(
    "GET",
    "/api/courses/{course_id}/attendance",
    summary="Each enrolled student's attendance over the course's ended classes (JSON or CSV)",
    tag="reports",
    query=AttendanceQuery,
    response=CourseAttendance,
    extra_content=("text/csv",),
)
async def course_attendance(call: Call[Any, AttendanceQuery]) -> CourseAttendance | Response:
    summary = await reports.course_attendance(call.ctx, call.principal, call.path("course_id"))
    if call.query.format == "csv":
        return csv_response(
            summary.students, CourseAttendanceStudent, f"attendance-{summary.course_id}.csv"
        )
    return summary


operations = [class_report, course_attendance]
