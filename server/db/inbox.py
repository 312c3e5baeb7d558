"""The durable webhook inbox and job queue: every accepted event is a row before the
provider gets its 2xx, and every job the server queues for itself is one too.

A storage adapter: it knows rows, leases and backoff, not what an event
means; the services in :mod:`server.webhooks` decide that.

Lifecycle of a row (``status``)::

    pending --claim--> processing --effect committed--> done | ignored
       ^                   |
       +---- retry later --+--> failed (after max attempts; an admin may replay)
    rejected  (malformed body with a good signature; kept for audit, never processed)

Intake stores concurrent deliveries together (:class:`~server.db.group_commit.GroupCommit`):
one ``INSERT ... ON CONFLICT DO NOTHING`` per batch, each caller answered
with its own row id once the batch committed.

Claiming is a conditional ``UPDATE``, so several processes can run workers on
one database without taking the same row.  A row stays ``processing`` only
for a lease; if its worker dies (kill -9), the lease runs out and another
claim takes it.  The effect and the move to ``done`` commit in one
transaction, so an event's effect is applied exactly once.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import Conflict, InvalidState, NotFound
from .database import Database, upsert_in
from .group_commit import GroupCommit
from .pages import counted_page
from .tables import webhook_events

__all__ = [
    "ClaimedEvent",
    "Inbox",
    "InboxStatus",
    "IncomingEvent",
    "kept_headers",
]

_w = webhook_events.c


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    IGNORED = "ignored"
    FAILED = "failed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class IncomingEvent:
    provider: str
    event_type: str
    dedup_key: str
    headers: dict[str, str]
    payload: dict[str, Any] | None = None
    raw_body: str | None = None
    org_id: str | None = None


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    provider: str
    event_type: str
    payload: dict[str, Any]
    headers: dict[str, str]
    attempts: int
    # What a handler's ``prepare`` fetched from the provider before the transaction.
    prepared: object = None


# Built once: the worker runs it for every event.
_FINISH = (
    update(webhook_events)
    .where(_w.id == bindparam("event_id"))
    .values(
        status=bindparam("status"),
        note=bindparam("note"),
        org_id=func.coalesce(bindparam("outcome_org", type_=_w.org_id.type), _w.org_id),
        class_id=bindparam("class_id"),
        processed_at=bindparam("processed_at"),
        lease_until=None,
        last_error=None,
    )
)


class Inbox:
    def __init__(
        self,
        db: Database,
        *,
        max_attempts: int,
        retry_base_seconds: float,
        retry_cap_seconds: float = 3600,
    ) -> None:
        self._db = db
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._retry_cap = retry_cap_seconds
        self._intake = GroupCommit(self._store_pending)

    async def accept(self, event: IncomingEvent, *, now: datetime) -> tuple[int, bool]:
        """Store a pending event; ``(id, duplicate)``.  A redelivery returns the first id."""
        return await self._intake.submit((event, now))

    async def _store_pending(
        self, batch: list[tuple[IncomingEvent, datetime]]
    ) -> list[tuple[int, bool]]:
        """One batch of :meth:`accept`: a key seen twice (in the table or in the batch)
        is stored once and answered with the first row's id, ``duplicate`` after that."""
        keys = [(event.provider, event.dedup_key) for event, _ in batch]
        first = {key: at for at, key in reversed(list(enumerate(keys)))}
        rows = [_row(batch[at][0], InboxStatus.PENDING, now=batch[at][1]) for at in first.values()]
        async with self._db.write() as conn:
            statement = (
                upsert_in(conn.dialect.name, webhook_events)
                .on_conflict_do_nothing(index_elements=["provider", "dedup_key"])
                .returning(_w.id, _w.provider, _w.dedup_key)
            )
            stored = (await conn.execute(statement, rows)).all()
            ids = {(row.provider, row.dedup_key): int(row.id) for row in stored}
            fresh = set(ids)
            if missing := first.keys() - fresh:
                earlier = await conn.execute(
                    select(_w.id, _w.provider, _w.dedup_key).where(
                        _w.dedup_key.in_([key for _, key in missing])
                    )
                )
                ids.update(
                    {
                        (row.provider, row.dedup_key): int(row.id)
                        for row in earlier
                        if (row.provider, row.dedup_key) in missing
                    }
                )
        return [(ids[key], not (key in fresh and first[key] == at)) for at, key in enumerate(keys)]

    async def reject(self, event: IncomingEvent, *, now: datetime, reason: str) -> int:
        """Keep a malformed delivery for audit; it is never processed."""
        event_id, _ = await self._insert(event, InboxStatus.REJECTED, now=now, note=reason)
        return event_id

    async def _insert(
        self, event: IncomingEvent, status: InboxStatus, *, now: datetime, note: str | None = None
    ) -> tuple[int, bool]:
        values = _row(event, status, now=now, note=note)
        try:
            async with self._db.write() as conn:
                inserted = await conn.execute(
                    webhook_events.insert().values(**values).returning(_w.id)
                )
                return int(inserted.scalar_one()), False
        except IntegrityError:
            async with self._db.read() as conn:
                existing = await conn.scalar(
                    select(_w.id).where(
                        _w.provider == event.provider, _w.dedup_key == event.dedup_key
                    )
                )
            if existing is None:  # pragma: no cover - the conflicting row cannot vanish
                raise
            return int(existing), True

    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int = 20
    ) -> list[ClaimedEvent]:
        """Take up to ``limit`` due rows in one statement.

        On PostgreSQL the inner select skips rows another worker has locked,
        and the outer ``WHERE`` is re-checked after any wait, so two workers
        never take the same row; SQLite has one writer at a time anyway.
        """
        due = or_(
            and_(_w.status == InboxStatus.PENDING.value, _w.next_attempt_at <= now),
            and_(_w.status == InboxStatus.PROCESSING.value, _w.lease_until < now),
        )
        candidates = (
            select(_w.id).where(due).order_by(_w.id).limit(limit).with_for_update(skip_locked=True)
        )
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    update(webhook_events)
                    .where(_w.id.in_(candidates.scalar_subquery()), due)
                    .values(
                        status=InboxStatus.PROCESSING.value,
                        lease_until=now + lease,
                        attempts=_w.attempts + 1,
                    )
                    .returning(
                        _w.id, _w.provider, _w.event_type, _w.payload, _w.headers, _w.attempts
                    )
                )
            ).all()
        return sorted(
            (
                ClaimedEvent(
                    row.id,
                    row.provider,
                    row.event_type,
                    row.payload or {},
                    row.headers or {},
                    row.attempts,
                )
                for row in rows
            ),
            key=lambda event: event.id,
        )

    async def finish(
        self,
        conn: AsyncConnection,
        event: ClaimedEvent,
        *,
        status: InboxStatus,
        note: str | None,
        org_id: str | None,
        class_id: str | None,
        now: datetime,
    ) -> None:
        """Record how processing ended; call in the same transaction as the effect.
        ``org_id`` ``None`` keeps the one stored at intake."""
        await conn.execute(
            _FINISH,
            {
                "event_id": event.id,
                "status": status.value,
                "note": note[:300] if note else None,
                "outcome_org": org_id,
                "class_id": class_id,
                "processed_at": now,
            },
        )

    async def retry_later(
        self,
        event: ClaimedEvent,
        error: str,
        *,
        now: datetime,
        owner: tuple[str, str] | None = None,
    ) -> InboxStatus:
        """After a failed attempt: back off and try again, or give up after the last one."""
        if event.attempts >= self._max_attempts:
            status, next_at = InboxStatus.FAILED, now
        else:
            delay = min(self._retry_cap, self._retry_base * 2 ** (event.attempts - 1))
            status = InboxStatus.PENDING
            next_at = now + timedelta(seconds=delay * random.uniform(0.8, 1.2))
        async with self._db.write() as conn:
            await conn.execute(
                update(webhook_events)
                .where(_w.id == event.id)
                .values(
                    status=status.value,
                    next_attempt_at=next_at,
                    lease_until=None,
                    last_error=error[:2000],
                    **({"org_id": owner[0], "class_id": owner[1]} if owner else {}),
                )
            )
        return status

    async def list(
        self,
        *,
        org_id: str | None,
        status: InboxStatus | None,
        provider: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """Rows for an admin; ``org_id=None`` means every organization's and unattributed ones."""
        conditions: list[ColumnElement[bool]] = []
        if org_id is not None:
            conditions.append(_w.org_id == org_id)
        if status is not None:
            conditions.append(_w.status == status.value)
        if provider is not None:
            conditions.append(_w.provider == provider)
        async with self._db.read() as conn:
            rows, total = await counted_page(
                conn,
                webhook_events,
                conditions,
                order_by=[_w.id.desc()],
                limit=limit,
                offset=offset,
            )
        return [dict(r) for r in rows], total

    async def replay(self, event_id: int, *, org_id: str | None, now: datetime) -> dict[str, Any]:
        """Queue a finished event again (failed, ignored or done); rejected ones cannot be."""
        visible = [_w.id == event_id]
        if org_id is not None:
            visible.append(_w.org_id == org_id)
        async with self._db.write() as conn:
            row = (await conn.execute(select(webhook_events).where(*visible))).mappings().first()
            if row is None:
                raise NotFound("no such webhook event")
            if row["status"] == InboxStatus.REJECTED.value:
                raise InvalidState("a rejected (malformed) event cannot be processed")
            if row["status"] in (InboxStatus.PENDING.value, InboxStatus.PROCESSING.value):
                raise Conflict("the event is already queued")
            await conn.execute(
                update(webhook_events)
                .where(_w.id == event_id)
                .values(
                    status=InboxStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    lease_until=None,
                    last_error=None,
                    processed_at=None,
                )
            )
            replayed = (
                (await conn.execute(select(webhook_events).where(_w.id == event_id)))
                .mappings()
                .one()
            )
        return dict(replayed)

    async def enqueue_job(
        self,
        conn: AsyncConnection,
        *,
        provider: str,
        kind: str,
        key: str,
        payload: Mapping[str, Any],
        org_id: str,
        now: datetime,
    ) -> bool:
        """Store a pending job the server gives itself, inside the caller's transaction.

        ``False`` when a row with the same dedup key exists (the job is queued or
        was done; an admin replays it).  The worker picks it up on its next poll.
        """
        job = IncomingEvent(provider, kind, key, {}, payload=dict(payload), org_id=org_id)
        statement = (
            upsert_in(conn.dialect.name, webhook_events)
            .values(**_row(job, InboxStatus.PENDING, now=now))
            .on_conflict_do_nothing(index_elements=["provider", "dedup_key"])
        )
        return bool((await conn.execute(statement)).rowcount)


def kept_headers(headers: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The delivery headers named in ``names`` (lower case) worth keeping for audit."""
    return {name: headers[name] for name in names if name in headers}


def _row(
    event: IncomingEvent, status: InboxStatus, *, now: datetime, note: str | None = None
) -> dict[str, Any]:
    return {
        "provider": event.provider,
        "event_type": event.event_type[:100],
        "dedup_key": event.dedup_key,
        "status": status.value,
        "payload": event.payload,
        "raw_body": event.raw_body,
        "headers": event.headers,
        "org_id": event.org_id,
        "next_attempt_at": now,
        "received_at": now,
        "note": note,
    }
