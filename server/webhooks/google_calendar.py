"""What a Calendar change notification does: re-read the events of the organization's Meet classes.

A notification (``exists`` / ``not_exists``) does not say which event
changed, so every ``scheduled`` or ``live`` Google Meet class of the channel's
organization has its event read (``events.get``, one call per class; a
notification costs as many calls as the organization has upcoming Meet
classes).  Then, per class:

* event ``cancelled`` (deleted in Calendar) -> the class is cancelled through
  the class lifecycle: students are notified and ``class:status`` is
  published after commit.
* event moved (``start.dateTime`` / ``end.dateTime`` differ from our
  schedule) -> a ``scheduled`` class takes Google's times: the Calendar is
  where the host moved it.  A ``live`` class keeps its schedule (attendance
  percentages are measured against it).  All-day times (``date``) and an end
  not after the start are ignored.
* event unknown to Google (404) -> nothing; noted on the inbox row.

Each notification reads the events afresh, and every Calendar change (ours
included) sends one, so the last notification processed leaves our schedule
equal to the event's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent
from ..db.tables import live_classes
from ..domain.lifecycle import ClassStatus
from ..outbound.outbox import EventType, emit_class
from ..providers.google_meet import GoogleClient
from ..services.class_status import transition_in
from ..services.context import ServiceContext
from .worker import Outcome

__all__ = ["CalendarChange"]

_lc = live_classes.c
_TIME = TypeAdapter(datetime)
_OPEN = (ClassStatus.SCHEDULED.value, ClassStatus.LIVE.value)


class CalendarChange:
    """The ``exists`` / ``not_exists`` notifications: payload ``{org_id, channel_id, ...}``."""

    def __init__(self, ctx: ServiceContext, client: GoogleClient) -> None:
        self._ctx = ctx
        self._client = client

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent:
        org_id = str(event.payload["org_id"])
        async with self._ctx.db.read() as conn:
            classes = (
                await conn.execute(
                    select(_lc.id, _lc.provider_meeting_id).where(
                        _lc.org_id == org_id,
                        _lc.provider == "google_meet",
                        _lc.status.in_(_OPEN),
                    )
                )
            ).all()
        events = {
            class_id: await self._client.find_event(org_id, event_id)
            for class_id, event_id in classes
        }
        return replace(event, prepared=events)

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome:
        found: dict[str, dict[str, Any] | None] = (
            event.prepared if isinstance(event.prepared, dict) else {}
        )
        outcome = Outcome(org_id=str(event.payload["org_id"]))
        cancelled, moved, missing = 0, 0, 0
        for class_id, calendar_event in found.items():
            row = (
                (await conn.execute(select(live_classes).where(_lc.id == class_id)))
                .mappings()
                .first()
            )
            if row is None or row["status"] not in _OPEN:
                continue  # changed meanwhile (ended, cancelled by its host)
            if calendar_event is None:
                missing += 1
            elif calendar_event.get("status") == "cancelled":
                at = self._ctx.clock()
                outcome.after_commit.append(
                    await transition_in(
                        conn, class_id, ClassStatus.CANCELLED, at=at, jobs=self._ctx.jobs
                    )
                )
                cancelled += 1
            elif row["status"] == ClassStatus.SCHEDULED.value:
                moved += await self._reschedule(conn, row, calendar_event)
        if len(found) == 1:
            outcome.class_id = next(iter(found))
        outcome.note = f"{cancelled} cancelled, {moved} rescheduled, {missing} event(s) not found"
        return outcome

    async def _reschedule(
        self, conn: AsyncConnection, row: Any, calendar_event: dict[str, Any]
    ) -> int:
        start = _event_time(calendar_event, "start")
        end = _event_time(calendar_event, "end")
        if start is None or end is None or end <= start:
            return 0
        if (start, end) == (row["scheduled_start"], row["scheduled_end"]):
            return 0
        await conn.execute(
            update(live_classes)
            .where(_lc.id == row["id"], _lc.status == ClassStatus.SCHEDULED.value)
            .values(
                scheduled_start=start,
                scheduled_end=end,
                updated_at=self._ctx.clock(),
                revision=_lc.revision + 1,
            )
        )
        await emit_class(conn, row["id"], EventType.CLASS_UPDATED, at=self._ctx.clock())
        return 1


def _event_time(calendar_event: dict[str, Any], key: str) -> datetime | None:
    value = (calendar_event.get(key) or {}).get("dateTime")
    if not isinstance(value, str):
        return None
    try:
        moment = _TIME.validate_python(value)
    except ValidationError:
        return None
    return moment if moment.tzinfo is not None else None
