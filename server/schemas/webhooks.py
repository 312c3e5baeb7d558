"""Webhook payloads as documented for OpenAPI, and the admin view of the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .common import Page, ResponseModel

__all__ = ["Accepted", "WebhookEventFilter", "WebhookEventOut", "ZoomWebhookBody"]


class ZoomWebhookBody(BaseModel):
    """Zoom's envelope (documentation only: the route verifies and stores the raw bytes)."""

    model_config = ConfigDict(extra="allow")

    event: str
    event_ts: int
    payload: dict[str, Any]


class Accepted(ResponseModel):
    """``id`` is the stored row; ``null`` for a notification acknowledged without storing
    (Google's ``sync``)."""

    id: int | None
    duplicate: bool


class WebhookEventFilter(Page):
    status: Literal["pending", "processing", "done", "ignored", "failed", "rejected"] | None = None
    provider: Literal["zoom", "google"] | None = None


class WebhookEventOut(ResponseModel):
    id: int
    provider: str
    event_type: str
    status: str
    class_id: str | None
    attempts: int
    last_error: str | None
    note: str | None
    received_at: datetime
    processed_at: datetime | None
    next_attempt_at: datetime
    payload: dict[str, Any] | None
