"""The outbox: one row per subscribed endpoint, written in the caller's transaction.

Services call :func:`emit` (or :func:`emit_class`) inside the same
``db.write()`` block as the change the event reports, so an event exists
exactly when its change committed; the delivery worker sends it later.  With
no endpoint subscribed to the type, nothing is written.

The body is the Standard Webhooks shape ``{"type", "timestamp", "data"}``,
serialised once here so every attempt sends (and signs) the same bytes.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

import orjson
from pydantic_core import to_jsonable_python
from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.tables import live_classes, webhook_deliveries, webhook_endpoints
from ..schemas.common import iso

__all__ = ["EventType", "class_payload", "emit", "emit_class", "new_message_id"]


class EventType(enum.StrEnum):
    CLASS_SCHEDULED = "class.scheduled"
    CLASS_UPDATED = "class.updated"
    CLASS_CANCELLED = "class.cancelled"
    CLASS_STARTED = "class.started"
    CLASS_ENDED = "class.ended"
    ATTENDANCE_FINALIZED = "attendance.finalized"
    RECORDING_AVAILABLE = "recording.available"
    POLL_CLOSED = "poll.closed"
    WEBHOOK_TEST = "webhook.test"


_ep = webhook_endpoints.c


def new_message_id() -> str:
    return f"msg_{secrets.token_hex(16)}"


def body_of(event_type: EventType, data: dict[str, Any], *, at: datetime) -> str:
    envelope = {"type": event_type.value, "timestamp": iso(at), "data": to_jsonable_python(data)}
    return orjson.dumps(envelope).decode()


async def emit(
    conn: AsyncConnection,
    *,
    org_id: str,
    event_type: EventType,
    data: dict[str, Any],
    at: datetime,
    class_id: str | None = None,
) -> int:
    """Queue ``event_type`` for every enabled endpoint of ``org_id`` that subscribes to it.

    Returns how many deliveries were queued.  Call inside a write transaction.
    """
    endpoints = (
        await conn.execute(
            select(_ep.id, _ep.event_types).where(_ep.org_id == org_id, _ep.enabled.is_(True))
        )
    ).all()
    targets = [e.id for e in endpoints if not e.event_types or event_type.value in e.event_types]
    if not targets:
        return 0
    body = body_of(event_type, data, at=at)
    await conn.execute(
        insert(webhook_deliveries),
        [
            queued_row(org_id, endpoint_id, event_type, body, at=at, class_id=class_id)
            for endpoint_id in targets
        ],
    )
    return len(targets)


def queued_row(
    org_id: str,
    endpoint_id: str,
    event_type: EventType,
    body: str,
    *,
    at: datetime,
    class_id: str | None,
) -> dict[str, Any]:
    return {
        "message_id": new_message_id(),
        "org_id": org_id,
        "endpoint_id": endpoint_id,
        "event_type": event_type.value,
        "class_id": class_id,
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


async def emit_class(
    conn: AsyncConnection,
    class_id: str,
    event_type: EventType,
    *,
    at: datetime,
    extra: dict[str, Any] | None = None,
) -> int:
    """:func:`emit` with the class as it is now in this transaction (plus ``extra`` fields)."""
    row = (
        (await conn.execute(select(live_classes).where(live_classes.c.id == class_id)))
        .mappings()
        .one()
    )
    return await emit(
        conn,
        org_id=row["org_id"],
        event_type=event_type,
        data={"class": class_payload(row), **(extra or {})},
        at=at,
        class_id=class_id,
    )


def class_payload(row: RowMapping) -> dict[str, Any]:
    """A class as the platform sees it: the participants' join link, never the host's."""
    return {
        "id": row["id"],
        "org_id": row["org_id"],
        "course_id": row["course_id"],
        "title": row["title"],
        "description": row["description"],
        "status": row["status"],
        "scheduled_start": iso(row["scheduled_start"]),
        "scheduled_end": iso(row["scheduled_end"]),
        "timezone": row["timezone"],
        "actual_start": iso(row["actual_start"]),
        "actual_end": iso(row["actual_end"]),
        "host_user_id": row["host_user_id"],
        "provider": row["provider"],
        "join_url": row["join_url"],
        "series_id": row["series_id"],
        "updated_at": iso(row["updated_at"]),
    }
