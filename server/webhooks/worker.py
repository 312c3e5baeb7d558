"""The background worker that drains the webhook inbox, with retries and backoff.

Every process runs one; claims are atomic, so they share the work.  It
wakes when intake stores an event and otherwise polls, which also picks up
retries that came due and rows a crashed process left ``processing``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import ClaimedEvent, Inbox, InboxStatus
from ..poller import Poller
from ..services.context import ServiceContext
from ..services.events import ClassEvent

__all__ = ["EffectHandler", "Outcome", "PreparingHandler", "WebhookWorker"]

log = logging.getLogger("liveclass.webhooks")


@dataclass
class Outcome:
    """What processing an event did; ``ignored`` when it had no effect (and why)."""

    status: InboxStatus = InboxStatus.DONE
    note: str | None = None
    org_id: str | None = None
    class_id: str | None = None
    # Published once the effect committed.
    after_commit: list[ClassEvent] = field(default_factory=list)


class EffectHandler(Protocol):
    """What a provider's events do; ``locate`` attributes an event even when its effect fails."""

    async def apply(self, conn: AsyncConnection, event: ClaimedEvent) -> Outcome: ...

    async def locate(self, conn: AsyncConnection, event: ClaimedEvent) -> RowMapping | None: ...


@runtime_checkable
class PreparingHandler(Protocol):
    """A handler whose effects need provider calls: ``prepare`` makes them before the
    transaction opens (no database lock is held while a provider answers) and returns
    the event with the results in ``prepared``; an exception there is retried like one
    in ``apply``."""

    async def prepare(self, event: ClaimedEvent) -> ClaimedEvent: ...


class WebhookWorker(Poller):
    def __init__(
        self,
        ctx: ServiceContext,
        inbox: Inbox,
        handlers: dict[str, EffectHandler],
        *,
        poll_seconds: float,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._ctx = ctx
        self._inbox = inbox
        self._handlers = handlers
        self._lease = lease
        # Woken by intake; the period also picks up retries that came due and rows
        # a crashed process left ``processing``.
        super().__init__("webhook worker", self.drain, every=poll_seconds, log=log)

    async def drain(self) -> int:
        """Process everything due now; returns how many events were handled."""
        handled = 0
        while claimed := await self._inbox.claim_due(now=self._ctx.clock(), lease=self._lease):
            await self._process(claimed)
            handled += len(claimed)
        return handled

    async def _process(self, claimed: list[ClaimedEvent]) -> None:
        """One claimed batch in one transaction, each event in a savepoint of its own.

        An event's effect and its move to ``done`` still commit together, and
        an event that fails rolls back to its savepoint alone and is retried
        later; the batch saves a transaction (and a pooled connection) per event.
        """
        ready: list[tuple[ClaimedEvent, EffectHandler | None]] = []
        failed: list[tuple[ClaimedEvent, EffectHandler | None, Exception]] = []
        for event in claimed:
            handler = self._handlers.get(event.provider)
            try:
                if isinstance(handler, PreparingHandler):
                    event = await handler.prepare(event)
            except Exception as exc:
                failed.append((event, handler, exc))
                continue
            ready.append((event, handler))
        published = []
        async with self._ctx.db.write() as conn:
            for event, handler in ready:
                try:
                    async with conn.begin_nested():
                        outcome = (
                            await handler.apply(conn, event)
                            if handler
                            else Outcome(
                                InboxStatus.IGNORED, note=f"no handler for {event.provider}"
                            )
                        )
                        await self._inbox.finish(
                            conn,
                            event,
                            status=outcome.status,
                            note=outcome.note,
                            org_id=outcome.org_id,
                            class_id=outcome.class_id,
                            now=self._ctx.clock(),
                        )
                except Exception as exc:
                    failed.append((event, handler, exc))
                    continue
                published += outcome.after_commit
        for event, handler, error in sorted(failed, key=lambda failure: failure[0].id):
            await self._retry(event, handler, error)
        for event_out in published:
            await self._ctx.broadcaster.publish(event_out)

    async def _retry(
        self, event: ClaimedEvent, handler: EffectHandler | None, exc: Exception
    ) -> None:
        status = await self._inbox.retry_later(
            event,
            f"{type(exc).__name__}: {exc}",
            now=self._ctx.clock(),
            owner=await self._owner(handler, event),
        )
        log.warning(
            "webhook event %d (%s) failed on attempt %d: %s; now %s",
            event.id,
            event.event_type,
            event.attempts,
            exc,
            status.value,
        )

    async def _owner(
        self, handler: EffectHandler | None, event: ClaimedEvent
    ) -> tuple[str, str] | None:
        """``(org_id, class_id)`` of a failing event, so its organization's admins see it."""
        if handler is None:
            return None
        try:
            async with self._ctx.db.read() as conn:
                row = await handler.locate(conn, event)
        except Exception:
            log.exception("could not attribute webhook event %d", event.id)
            return None
        return (row["org_id"], row["id"]) if row is not None else None
