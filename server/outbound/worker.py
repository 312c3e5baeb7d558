"""The delivery worker: takes due outbox rows, sends them, and schedules retries.

Every process may run one (``LIVECLASS_OUTBOUND_WEBHOOK_WORKER``); claims are
conditional updates (``SKIP LOCKED`` on PostgreSQL), so workers share rows
without sending one twice at the same time.  A claimed row is leased; if its
process dies (kill -9) the lease runs out and another worker takes it, with
the same ``webhook-id``.

Order: within one endpoint, a row of a class is claimed only when no earlier
row of the same class is still ``pending`` or ``delivering``, so a receiver
sees a class's events in the order they happened even across retries.  A
``failed`` row (its retry window is over) no longer holds the others back.

Retries: after attempt *n* fails, the next waits ``base * 2**(n-1)`` seconds
(capped), times a random factor in [0.5, 1) (jitter), until the delivery is
older than the retry window; the attempt that fails after that marks it
``failed``.  The circuit: ``failure_streak`` consecutive failures of an
endpoint (any of its deliveries) pause it for a while; after the pause one
attempt is made again, and a success closes the circuit.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from ..db.tables import webhook_deliveries, webhook_endpoints
from ..poller import Poller
from ..services.context import ServiceContext
from .sender import Attempt, Sender

__all__ = ["DeliveryWorker", "backoff_seconds"]

log = logging.getLogger("liveclass.outbound")

_d = webhook_deliveries.c
_ep = webhook_endpoints.c


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: str
    body: str
    attempts: int
    created_at: datetime
    endpoint_id: str
    url: str
    secret_sealed: str


def backoff_seconds(attempts: int, *, base: float, cap: float, jitter: float) -> float:
    """Delay before the next attempt after ``attempts`` tries; ``jitter`` in [0, 1)."""
    delay: float = min(cap, base * 2.0 ** max(0, attempts - 1))
    return delay * (0.5 + jitter / 2)


class DeliveryWorker(Poller):
    def __init__(
        self, ctx: ServiceContext, sender: Sender, *, poll_seconds: float, batch: int = 20
    ) -> None:
        self._ctx = ctx
        self._sender = sender
        self._batch = batch
        settings = ctx.settings
        # Long enough for one attempt to time out, with room to record it.
        self._lease = timedelta(seconds=2 * settings.outbound_webhook_timeout_seconds + 5)
        super().__init__("outbound delivery worker", self.drain, every=poll_seconds, log=log)

    async def stop(self) -> None:
        await super().stop()
        await self._sender.aclose()

    async def drain(self) -> int:
        """Attempt everything due now; returns how many attempts were made."""
        made = 0
        while claimed := await self._claim():
            await asyncio.gather(*(self._deliver(c) for c in claimed))
            made += len(claimed)
        return made

    async def _claim(self) -> list[_Claimed]:
        now = self._ctx.clock()
        due = or_(
            and_(_d.status == "pending", _d.next_attempt_at <= now),
            and_(_d.status == "delivering", _d.lease_until < now),
        )
        earlier = aliased(webhook_deliveries)
        waits_for_earlier = exists().where(
            earlier.c.endpoint_id == _d.endpoint_id,
            earlier.c.class_id == _d.class_id,
            earlier.c.id < _d.id,
            earlier.c.status.in_(["pending", "delivering"]),
        )
        open_endpoints = select(_ep.id).where(
            _ep.enabled.is_(True), or_(_ep.paused_until.is_(None), _ep.paused_until <= now)
        )
        candidates = (
            select(_d.id)
            .where(due, _d.endpoint_id.in_(open_endpoints), ~waits_for_earlier)
            .order_by(_d.id)
            .limit(self._batch)
            .with_for_update(skip_locked=True, of=webhook_deliveries)
        )
        async with self._ctx.db.write() as conn:
            rows = (
                await conn.execute(
                    update(webhook_deliveries)
                    .where(_d.id.in_(candidates.scalar_subquery()), due)
                    .values(
                        status="delivering", lease_until=now + self._lease, attempts=_d.attempts + 1
                    )
                    .returning(
                        _d.id, _d.message_id, _d.body, _d.attempts, _d.created_at, _d.endpoint_id
                    )
                )
            ).all()
            if not rows:
                return []
            endpoints = {
                e.id: e
                for e in (
                    await conn.execute(
                        select(_ep.id, _ep.url, _ep.secret_sealed).where(
                            _ep.id.in_({r.endpoint_id for r in rows})
                        )
                    )
                ).all()
            }
        return sorted(
            (
                _Claimed(
                    r.id,
                    r.message_id,
                    r.body,
                    r.attempts,
                    r.created_at,
                    r.endpoint_id,
                    endpoints[r.endpoint_id].url,
                    endpoints[r.endpoint_id].secret_sealed,
                )
                for r in rows
            ),
            key=lambda c: c.id,
        )

    async def _deliver(self, claimed: _Claimed) -> None:
        secret = self._ctx.secret_box.open(claimed.secret_sealed)
        attempt = await self._sender.send(claimed.url, secret, claimed.message_id, claimed.body)
        try:
            await self._record(claimed, attempt)
        except Exception:
            # The lease runs out and the row is tried again: at least once, same webhook-id.
            log.exception(
                "could not record attempt %d of delivery %d", claimed.attempts, claimed.id
            )

    async def _record(self, claimed: _Claimed, attempt: Attempt) -> None:
        settings = self._ctx.settings
        now = self._ctx.clock()
        outcome = {
            "lease_until": None,
            "last_attempt_at": now,
            "last_status_code": attempt.status_code,
            "last_response": attempt.response,
            "last_error": attempt.error,
        }
        async with self._ctx.db.write() as conn:
            if attempt.ok:
                await conn.execute(
                    update(webhook_deliveries)
                    .where(_d.id == claimed.id)
                    .values(status="delivered", delivered_at=now, **outcome)
                )
                await conn.execute(
                    update(webhook_endpoints)
                    .where(_ep.id == claimed.endpoint_id)
                    .values(failure_streak=0, paused_until=None)
                )
                return
            window = timedelta(hours=settings.outbound_webhook_retry_hours)
            delay = backoff_seconds(
                claimed.attempts,
                base=settings.outbound_webhook_retry_base_seconds,
                cap=settings.outbound_webhook_retry_cap_seconds,
                jitter=random.random(),
            )
            over = now >= claimed.created_at + window
            await conn.execute(
                update(webhook_deliveries)
                .where(_d.id == claimed.id)
                .values(
                    status="failed" if over else "pending",
                    next_attempt_at=now + timedelta(seconds=delay),
                    **outcome,
                )
            )
            streak = (
                await conn.execute(
                    update(webhook_endpoints)
                    .where(_ep.id == claimed.endpoint_id)
                    .values(failure_streak=_ep.failure_streak + 1)
                    .returning(_ep.failure_streak)
                )
            ).scalar_one_or_none()
            if streak is not None and streak >= settings.outbound_webhook_circuit_failures:
                pause = timedelta(seconds=settings.outbound_webhook_circuit_pause_seconds)
                await conn.execute(
                    update(webhook_endpoints)
                    .where(_ep.id == claimed.endpoint_id)
                    .values(paused_until=now + pause)
                )
        log.warning(
            "webhook delivery %d attempt %d failed (%s)",
            claimed.id,
            claimed.attempts,
            attempt.error or f"HTTP {attempt.status_code}",
        )
