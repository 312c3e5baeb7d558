"""The caller's notifications."""

from __future__ import annotations

from typing import Any

from ..schemas.notifications import NotificationFilter, NotificationOut, ReadAllOut
from ..services import notifications
from .routing import Call, api

__all__ = ["operations"]


@api(
    "GET",
    "/api/notifications",
    summary="The caller's notifications, newest first",
    tag="notifications",
    query=NotificationFilter,
    response=list[NotificationOut],
    paginated=True,
)
async def list_notifications(
    call: Call[Any, NotificationFilter],
) -> tuple[list[NotificationOut], int]:
    return await notifications.find(call.ctx, call.principal, call.query)


@api(
    "POST",
    "/api/notifications/{notification_id}/read",
    summary="Mark one as read",
    tag="notifications",
    response=NotificationOut,
)
async def mark_read(call: Call[Any, Any]) -> NotificationOut:
    return await notifications.mark_read(call.ctx, call.principal, call.path("notification_id"))


@api(
    "POST",
    "/api/notifications/read-all",
    summary="Mark all of the caller's as read",
    tag="notifications",
    response=ReadAllOut,
)
async def mark_all_read(call: Call[Any, Any]) -> ReadAllOut:
    return ReadAllOut(marked=await notifications.mark_all_read(call.ctx, call.principal))


operations = [list_notifications, mark_read, mark_all_read]
