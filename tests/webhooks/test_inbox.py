"""The inbox on its own: claims are exclusive, a dead worker's lease runs out, backoff grows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from server.db import Database
from server.db.inbox import Inbox, InboxStatus, IncomingEvent
from tests.support.backends import Backend

NOW = datetime(2031, 1, 1, tzinfo=UTC)


def event(key: str) -> IncomingEvent:
    return IncomingEvent("zoom", "meeting.started", key, {}, payload={"event": "meeting.started"})


async def test_claims_are_exclusive_and_leases_expire(backend: Backend) -> None:
    db = Database(backend.database_url)
    inbox = Inbox(db, max_attempts=3, retry_base_seconds=10)
    try:
        event_id, duplicate = await inbox.accept(
            event(f"lease-{NOW.timestamp()}-{id(db)}"), now=NOW
        )
        assert not duplicate
        first = await inbox.claim_due(now=NOW, lease=timedelta(minutes=2), limit=1000)
        assert event_id in [e.id for e in first]
        second = await inbox.claim_due(
            now=NOW + timedelta(minutes=1), lease=timedelta(minutes=2), limit=1000
        )
        assert event_id not in [e.id for e in second]
        # The first worker died: after its lease, the row is taken again.
        third = await inbox.claim_due(
            now=NOW + timedelta(minutes=3), lease=timedelta(minutes=2), limit=1000
        )
        claimed = next(e for e in third if e.id == event_id)
        assert claimed.attempts == 2
        async with db.write() as conn:
            await inbox.finish(
                conn,
                claimed,
                status=InboxStatus.DONE,
                note=None,
                org_id=None,
                class_id=None,
                now=NOW + timedelta(minutes=3),
            )
        later = await inbox.claim_due(
            now=NOW + timedelta(hours=1), lease=timedelta(minutes=2), limit=1000
        )
        assert event_id not in [e.id for e in later]
    finally:
        await db.dispose()


async def test_backoff_grows_and_ends_in_failed(backend: Backend) -> None:
    db = Database(backend.database_url)
    inbox = Inbox(db, max_attempts=3, retry_base_seconds=10)
    try:
        event_id, _ = await inbox.accept(event(f"backoff-{id(db)}-{NOW.timestamp()}"), now=NOW)
        now = NOW
        statuses = []
        for _ in range(3):
            claimed = [
                e
                for e in await inbox.claim_due(now=now, lease=timedelta(minutes=1), limit=1000)
                if e.id == event_id
            ]
            assert claimed, "the event should be due again"
            statuses.append(await inbox.retry_later(claimed[0], "boom", now=now))
            now += timedelta(seconds=100)
        assert statuses == [InboxStatus.PENDING, InboxStatus.PENDING, InboxStatus.FAILED]
        rows, _ = await inbox.list(
            org_id=None, status=InboxStatus.FAILED, provider="zoom", limit=100, offset=0
        )
        assert event_id in [r["id"] for r in rows]
    finally:
        await db.dispose()


async def test_concurrent_deliveries_are_stored_once_per_key(backend: Backend) -> None:
    db = Database(backend.database_url)
    inbox = Inbox(db, max_attempts=3, retry_base_seconds=10)
    try:
        tag = f"{id(db)}-{NOW.timestamp()}"
        earlier, _ = await inbox.accept(event(f"stored-{tag}"), now=NOW)
        keys = [f"a-{tag}", f"stored-{tag}", f"b-{tag}", f"a-{tag}", f"a-{tag}"]
        answers = await asyncio.gather(*(inbox.accept(event(key), now=NOW) for key in keys))
        a_first, stored_again, b_only, a_second, a_third = answers
        assert not a_first[1] and not b_only[1]
        assert stored_again == (earlier, True)
        assert a_second == a_third == (a_first[0], True)
        rows, _ = await inbox.list(
            org_id=None, status=InboxStatus.PENDING, provider="zoom", limit=100, offset=0
        )
        mine = sorted(r["dedup_key"] for r in rows if r["dedup_key"].endswith(tag))
        assert mine == sorted({f"stored-{tag}", f"a-{tag}", f"b-{tag}"})
    finally:
        await db.dispose()
