"""The worker's handler for provider ``google``: Calendar notifications and the server's own jobs.

=================  ==========================================================
event type         effect
=================  ==========================================================
``exists``,        :class:`~.google_calendar.CalendarChange` (cancel / move
``not_exists``     the organization's Meet classes after their events)
``meet.pull``      :class:`~.google_pull.MeetPull` (attendance, recordings)
``channel.open``   :class:`~.google_channels.ChannelJob` (open / renew a
                   Calendar push channel)
=================  ==========================================================

Every job reads Google in ``prepare`` (outside the transaction) and writes in
``apply``, inside the worker's transaction with the inbox row: a replayed or
redelivered row repeats the reads, and the writes are idempotent.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent, InboxStatus
from ..db.tables import live_classes
from ..providers.google_meet import GoogleClient
from ..services.context import ServiceContext
from ..services.google_jobs import CHANNEL_OPEN, MEET_PULL
from .google_calendar import CalendarChange
from .google_channels import ChannelJob
from .google_pull import MeetPull
from .google_push import CHANGE_STATES
from .worker import Outcome

__all__ = ["GoogleEffects"]


class _Job(Protocol):
    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent: ...

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome: ...


class GoogleEffects:
    def __init__(self, ctx: ServiceContext, client: GoogleClient) -> None:
        calendar = CalendarChange(ctx, client)
        self._jobs: dict[str, _Job] = {
            **{state: calendar for state in CHANGE_STATES},
            MEET_PULL: MeetPull(ctx, client),
            CHANNEL_OPEN: ChannelJob(ctx, client),
        }

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent:
        job = self._jobs.get(event.event_type)
        return await job.prepare(event) if job else event

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome:
        job = self._jobs.get(event.event_type)
        if job is None:
            return Outcome(InboxStatus.IGNORED, note=f"no effect for {event.event_type}")
        return await job.apply(conn, event)

    async def locate(self, conn: AsyncConnection, event: ClaimedEvent) -> RowMapping | None:
        """The class a ``meet.pull`` job is about; other Google events name no single class."""
        class_id = event.payload.get("class_id")
        if not isinstance(class_id, str):
            return None
        return (
            (await conn.execute(select(live_classes).where(live_classes.c.id == class_id)))
            .mappings()
            .first()
        )
