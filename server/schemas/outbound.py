"""Outbound webhook endpoints and their deliveries, as admins manage and inspect them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from .common import Page, RequestModel, ResponseModel

__all__ = [
    "DeliveryFilter",
    "DeliveryOut",
    "EndpointCreate",
    "EndpointCreated",
    "EndpointOut",
    "EndpointUpdate",
    "OutboundEventType",
]

OutboundEventType = Literal[
    "class.scheduled",
    "class.updated",
    "class.cancelled",
    "class.started",
    "class.ended",
    "attendance.finalized",
    "recording.available",
    "poll.closed",
    "webhook.test",
]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]


class EndpointCreate(RequestModel):
    url: Url
    description: Annotated[str, StringConstraints(max_length=300)] | None = None
    # Empty: every event type.
    event_types: list[OutboundEventType] = Field(default_factory=list, max_length=20)
    enabled: bool = True


class EndpointUpdate(RequestModel):
    url: Url | None = None
    description: Annotated[str, StringConstraints(max_length=300)] | None = None
    event_types: list[OutboundEventType] | None = Field(default=None, max_length=20)
    enabled: bool | None = None


class EndpointOut(ResponseModel):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    failure_streak: int
    paused_until: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointOut):
    """Only the answer to the creation carries the signing secret; store it then."""

    secret: str


class DeliveryFilter(Page):
    endpoint_id: str | None = None
    status: Literal["pending", "delivering", "delivered", "failed"] | None = None
    event_type: OutboundEventType | None = None
    class_id: str | None = None


class DeliveryOut(ResponseModel):
    id: int
    message_id: str
    endpoint_id: str
    event_type: str
    class_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_response: str | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
