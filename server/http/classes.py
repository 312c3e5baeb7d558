"""Live class routes: thin over :mod:`server.services.classes` and attendance."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..schemas.classes import (
    AttendanceQuery,
    AttendanceRow,
    ClassCreate,
    ClassDetail,
    ClassFilter,
    ClassOut,
    ClassUpdate,
    JoinInfo,
    ParticipantOut,
)
from ..schemas.common import Page
from ..services import attendance as attendance_service
from ..services import classes
from .csv_export import csv_response
from .routing import Call, api

__all__ = ["operations"]

CLASSES = "/api/live-classes"
CLASS = "/api/live-classes/{class_id}"


@api(
    "GET",
    CLASSES,
    summary="Classes the caller may see",
    tag="live classes",
    query=ClassFilter,
    response=list[ClassOut],
    paginated=True,
)
async def list_classes(call: Call[Any, ClassFilter]) -> tuple[list[ClassOut], int]:
    return await classes.find(call.ctx, call.principal, call.query)


@api(
    "POST",
    CLASSES,
    summary="Schedule a class (its provider meeting is created first)",
    tag="live classes",
    body=ClassCreate,
    response=ClassDetail,
    status=201,
)
async def create_class(call: Call[ClassCreate, Any]) -> ClassDetail:
    return await classes.create(call.ctx, call.principal, call.body)


@api(
    "GET",
    CLASS,
    summary="One class with participants, recordings and resources",
    tag="live classes",
    response=ClassDetail,
)
async def get_class(call: Call[Any, Any]) -> ClassDetail:
    return await classes.get(call.ctx, call.principal, call.path("class_id"))


async def _update(call: Call[ClassUpdate, Any]) -> ClassDetail:
    return await classes.update(call.ctx, call.principal, call.path("class_id"), call.body)


@api(
    "DELETE",
    CLASS,
    summary="Cancel: the provider meeting is deleted, students notified",
    tag="live classes",
    response=ClassDetail,
)
async def cancel_class(call: Call[Any, Any]) -> ClassDetail:
    return await classes.cancel(call.ctx, call.principal, call.path("class_id"))


@api(
    "POST", CLASS + "/start", summary="scheduled -> live", tag="live classes", response=ClassDetail
)
async def start_class(call: Call[Any, Any]) -> ClassDetail:
    return await classes.start(call.ctx, call.principal, call.path("class_id"))


@api("POST", CLASS + "/end", summary="live -> ended", tag="live classes", response=ClassDetail)
async def end_class(call: Call[Any, Any]) -> ClassDetail:
    return await classes.end(call.ctx, call.principal, call.path("class_id"))


@api(
    "POST",
    CLASS + "/join",
    summary="Get the links and record joining",
    tag="live classes",
    response=JoinInfo,
)
async def join_class(call: Call[Any, Any]) -> JoinInfo:
    return await classes.join(call.ctx, call.principal, call.path("class_id"))


@api(
    "DELETE",
    CLASS + "/join",
    summary="Record leaving",
    tag="live classes",
    response=dict[str, bool],
)
async def leave_class(call: Call[Any, Any]) -> dict[str, bool]:
    return await classes.leave(call.ctx, call.principal, call.path("class_id"))


@api(
    "GET",
    CLASS + "/participants",
    summary="Who took part, and who is online, in order of first joining",
    tag="live classes",
    query=Page,
    response=list[ParticipantOut],
    paginated=True,
)
async def list_participants(call: Call[Any, Page]) -> tuple[list[ParticipantOut], int]:
    return await classes.participants(call.ctx, call.principal, call.path("class_id"), call.query)


@api(
    "GET",
    CLASS + "/attendance",
    summary="Attendance per student and attendee (JSON or CSV)",
    tag="live classes",
    query=AttendanceQuery,
    response=list[AttendanceRow],
    extra_content=("text/csv",),
)
async def attendance(call: Call[Any, AttendanceQuery]) -> list[AttendanceRow] | Response:
    rows = await attendance_service.report(call.ctx, call.principal, call.path("class_id"))
    if call.query.format == "csv":
        return csv_response(
            rows,
            AttendanceRow,
            f"attendance-{call.path('class_id')}.csv",
            # The documented CSV columns; the merged sessions are JSON-only detail.
            exclude={"sessions"},
        )
    return rows


operations = [
    list_classes,
    create_class,
    get_class,
    api(
        "PATCH",
        CLASS,
        summary="Change a class (synced to the provider)",
        tag="live classes",
        body=ClassUpdate,
        response=ClassDetail,
    )(_update),
    api(
        "PUT",
        CLASS,
        summary="Same as PATCH",
        tag="live classes",
        body=ClassUpdate,
        response=ClassDetail,
    )(_update),
    cancel_class,
    start_class,
    end_class,
    join_class,
    leave_class,
    list_participants,
    attendance,
]
