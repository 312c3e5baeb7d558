"""Notifications recorded for a user (class cancelled, ...)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .common import Page, ResponseModel

__all__ = ["NotificationFilter", "NotificationOut"]


class NotificationFilter(Page):
    unread: bool | None = None


class NotificationOut(ResponseModel):
    id: str
    kind: str
    class_id: str | None
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class ReadAllOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    marked: int
