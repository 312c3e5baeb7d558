"""How many ``class:join`` s are admitted at once, and what a join beyond them is told.

A join's database work is bounded where it happens (``classroom.Joins``):
admissions arriving together are one transaction, attendance intervals
another, and reads of the classes' shared state hold fewer connections than
the pool has, so a storm of joins never takes every pooled connection.
What is left to bound is how many joins queue for that work: up to
``JOINS_AT_ONCE`` (the most one admission transaction takes) are in it, the
rest wait here in arrival order, and one that waits longer than
``wait_seconds`` is answered ``rate_limited`` with ``retry_after`` (a clear
"try again", having changed nothing) before any client gives up on its ack.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..db.group_commit import MAX_BATCH
from ..errors import RateLimited

__all__ = ["JOINS_AT_ONCE", "JOIN_WAIT_SECONDS", "JoinSlots"]

JOINS_AT_ONCE = MAX_BATCH
JOIN_WAIT_SECONDS = 5.0


class JoinSlots:
    def __init__(
        self, size: int = JOINS_AT_ONCE, *, wait_seconds: float = JOIN_WAIT_SECONDS
    ) -> None:
        self._slots = asyncio.Semaphore(size)
        self._wait_seconds = wait_seconds

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self._wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise RateLimited(
                "too many joins at once; try again", retry_after=self._wait_seconds
            ) from None
        try:
            yield
        finally:
            self._slots.release()
