"""The class report and the per-course attendance summary (grade-ready)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from .common import ResponseModel

__all__ = [
    "ClassReport",
    "CourseAttendance",
    "CourseAttendanceClass",
    "CourseAttendanceStudent",
    "ReportParticipant",
    "ReportTotals",
]


class ReportParticipant(ResponseModel):
    """One person's part in a class.  Anonymous questions and answers to anonymous polls
    are not in these figures (only in the totals)."""

    user_id: str | None
    name: str
    enrolled: bool
    attended_seconds: int
    attended_percent: float
    attendance_status: Literal["present", "partial", "absent"]
    chat_messages: int
    questions_asked: int
    upvotes_given: int
    poll_responses: int
    quiz_correct: int
    quiz_asked: int


class ReportTotals(ResponseModel):
    participants: int
    peak_online: int
    duration_seconds: int
    chat_messages: int
    messages_per_minute: float
    questions_asked: int
    anonymous_questions: int
    questions_answered: int
    upvotes: int
    polls: int
    poll_responses: int
    anonymous_poll_responses: int


class ClassReport(ResponseModel):
    class_id: str
    title: str
    status: str
    scheduled_start: datetime
    scheduled_end: datetime
    actual_start: datetime | None
    actual_end: datetime | None
    generated_at: datetime
    totals: ReportTotals
    participants: list[ReportParticipant]


class CourseAttendanceClass(ResponseModel):
    class_id: str
    title: str
    scheduled_start: datetime
    scheduled_seconds: int


class CourseAttendanceStudent(ResponseModel):
    user_id: str
    name: str
    classes_held: int
    classes_attended: int
    classes_partial: int
    classes_absent: int
    attended_minutes: float
    attendance_percent: float


class CourseAttendance(ResponseModel):
    course_id: str
    classes: list[CourseAttendanceClass]
    students: list[CourseAttendanceStudent]
