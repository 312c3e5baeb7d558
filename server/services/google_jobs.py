"""Jobs the server queues for itself (provider ``google``), in a caller's transaction.

* ``meet.pull`` (payload ``{class_id}``, dedup key ``meet.pull:{class_id}``):
  queued when a Google Meet class ends, in the same transaction as the move
  to ``ended`` (host route or any other path through ``transition_in``).  A
  class ends once, so it is queued once; an admin replays the row to pull again.
* ``channel.open`` (payload ``{org_id, replaces}``, dedup key
  ``channel.open:{org_id}:{latest channel id or "first"}``): queued when an
  organization with Google Meet classes has no Calendar push channel that
  stays open past the renewal window.  The key names the channel being
  replaced, so however many processes notice the same expiring channel, one
  job (one new channel) results.

Both are picked up by the worker's next poll (``LIVECLASS_WEBHOOK_POLL_SECONDS``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.tables import google_channels
from .jobs import JobQueue

__all__ = [
    "CHANNEL_OPEN",
    "MEET_PULL",
    "PROVIDER",
    "enqueue_channel_open",
    "enqueue_meet_pull",
]

PROVIDER = "google"
MEET_PULL = "meet.pull"
CHANNEL_OPEN = "channel.open"
_ch = google_channels.c


async def enqueue_meet_pull(
    jobs: JobQueue, conn: AsyncConnection, *, class_id: str, org_id: str, now: datetime
) -> bool:
    """Queue the pull of a Meet class's attendance and recordings; ``False`` if already queued."""
    return await jobs.enqueue_job(
        conn,
        provider=PROVIDER,
        kind=MEET_PULL,
        key=f"{MEET_PULL}:{class_id}",
        payload={"class_id": class_id},
        org_id=org_id,
        now=now,
    )


async def enqueue_channel_open(
    jobs: JobQueue, conn: AsyncConnection, *, org_id: str, now: datetime, window: timedelta
) -> bool:
    """Queue a new push channel for ``org_id`` unless one stays open past ``now + window``."""
    active = await conn.scalar(
        select(_ch.channel_id).where(
            _ch.org_id == org_id, _ch.stopped_at.is_(None), _ch.expiration > now + window
        )
    )
    if active is not None:
        return False
    latest = (
        await conn.execute(
            select(_ch.channel_id, _ch.stopped_at)
            .where(_ch.org_id == org_id)
            # The live channel (normally the only one), else the one that lasted longest.
            .order_by(_ch.stopped_at.is_not(None), _ch.expiration.desc(), _ch.channel_id)
            .limit(1)
        )
    ).first()
    replaces = latest.channel_id if latest is not None and latest.stopped_at is None else None
    return await jobs.enqueue_job(
        conn,
        provider=PROVIDER,
        kind=CHANNEL_OPEN,
        key=f"{CHANNEL_OPEN}:{org_id}:{latest.channel_id if latest is not None else 'first'}",
        payload={"org_id": org_id, "replaces": replaces},
        org_id=org_id,
        now=now,
    )
