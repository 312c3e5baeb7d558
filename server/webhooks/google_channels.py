"""Calendar push channels: opened, renewed and stopped, one live channel per organization.

Which organizations get one: every organization with a ``scheduled`` or
``live`` Google Meet class.  Creating such a class is proof that Google works
for it (its own credentials, or the server-wide refresh token, which then
serves every organization); the class's transaction queues a
``channel.open`` job when the organization has no channel open past the
renewal window.  :class:`ChannelRenewer` runs in every process and, every
``LIVECLASS_GOOGLE_CHANNEL_CHECK_SECONDS``, queues the same job for each such
organization whose channel expires within
``LIVECLASS_GOOGLE_CHANNEL_RENEW_HOURS``.  An organization without upcoming
Meet classes keeps its channel until Google lets it expire.

The job (:class:`ChannelJob`, run by the webhook worker) calls
``events.watch`` on the primary calendar with the address
``{LIVECLASS_PUBLIC_URL}/api/google/webhook``, stores the channel (token
hashed), marks the channel it replaces stopped (its notifications are
refused from then on) and asks Google to stop that one.  Idempotent across
processes: the job's dedup key names the channel being replaced, and a job
that finds a fresh channel already open does nothing.

Limits: if the transaction storing a new channel fails after Google opened
it, that channel is unknown to us (its notifications get 401) until it
expires, and the retry opens another.  A failed ``channels.stop`` is logged
and not retried: the old channel is refused here and expires at Google.
With the server-wide refresh token every organization watches the same
calendar, so one change notifies each of them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent, InboxStatus
from ..db.tables import google_channels, live_classes
from ..errors import ProviderError
from ..poller import Poller
from ..providers.google_meet import GoogleClient, WatchChannel
from ..services.context import ServiceContext
from ..services.google_jobs import enqueue_channel_open
from .google_push import token_hash
from .worker import Outcome

__all__ = ["ChannelJob", "ChannelRenewer", "webhook_address"]

log = logging.getLogger("liveclass.google")

_ch = google_channels.c
_lc = live_classes.c
_OPEN_STATUSES = ("scheduled", "live")


def webhook_address(ctx: ServiceContext) -> str:
    return f"{ctx.settings.public_url.rstrip('/')}/api/google/webhook"


def _window(ctx: ServiceContext) -> timedelta:
    return timedelta(hours=ctx.settings.google_channel_renew_hours)


class ChannelJob:
    """The ``channel.open`` job: payload ``{org_id, replaces}``."""

    def __init__(self, ctx: ServiceContext, client: GoogleClient) -> None:
        self._ctx = ctx
        self._client = client

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent:
        org_id = str(event.payload["org_id"])
        replaces = event.payload.get("replaces")
        now = self._ctx.clock()
        async with self._ctx.db.read() as conn:
            fresh = await conn.scalar(
                select(_ch.channel_id).where(
                    _ch.org_id == org_id,
                    _ch.stopped_at.is_(None),
                    _ch.channel_id != (replaces or ""),
                    _ch.expiration > now + _window(self._ctx),
                )
            )
            old = (
                await conn.execute(select(_ch.resource_id).where(_ch.channel_id == replaces))
            ).first()
        if fresh is not None:
            return event  # another job already opened one
        opened = await self._client.watch_events(org_id, webhook_address(self._ctx))
        if replaces and old is not None:
            try:
                await self._client.stop_channel(org_id, replaces, old.resource_id)
            except ProviderError as exc:
                log.warning("could not stop Google channel %s: %s", replaces, exc)
        return replace(event, prepared=opened)

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome:
        org_id = str(event.payload["org_id"])
        opened = event.prepared
        if not isinstance(opened, WatchChannel):
            return Outcome(InboxStatus.IGNORED, note="a fresh channel is already open")
        now = self._ctx.clock()
        await conn.execute(
            google_channels.insert().values(
                channel_id=opened.id,
                org_id=org_id,
                resource_id=opened.resource_id,
                token_hash=token_hash(opened.token),
                expiration=opened.expiration,
                created_at=now,
            )
        )
        replaces = event.payload.get("replaces")
        if replaces:
            await conn.execute(
                update(google_channels)
                .where(_ch.channel_id == replaces, _ch.stopped_at.is_(None))
                .values(stopped_at=now)
            )
        return Outcome(
            note=f"channel {opened.id} open until {opened.expiration.isoformat()}", org_id=org_id
        )


class ChannelRenewer(Poller):
    """The periodic pass that queues ``channel.open`` jobs; started by the app's lifespan."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        every = ctx.settings.google_channel_check_seconds
        super().__init__("google channel check", self.check, every=every, log=log)

    async def check(self) -> int:
        """Queue a job for every organization that needs a channel; returns how many."""
        now = self._ctx.clock()
        async with self._ctx.db.write() as conn:
            orgs = (
                await conn.scalars(
                    select(_lc.org_id)
                    .where(_lc.provider == "google_meet", _lc.status.in_(_OPEN_STATUSES))
                    .distinct()
                )
            ).all()
            queued = 0
            for org_id in orgs:
                queued += await enqueue_channel_open(
                    self._ctx.jobs, conn, org_id=org_id, now=now, window=_window(self._ctx)
                )
        return queued
