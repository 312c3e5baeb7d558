"""How many ``class:join`` s run at once: fewer than the database pool has connections.

A join holds one pooled connection at a time (admission, the attendance
interval, the caller's own votes).  Left unbounded, a storm of joins takes
every connection and the rest wait in the pool until its timeout, to fail
as ``internal``; the pool also serves everything else.  Joins beyond the
slots wait here instead, in arrival order, and one that waits longer than
``wait_seconds`` is answered ``rate_limited`` with ``retry_after``: a
clear "try again", before any client gives up on its ack.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..errors import RateLimited

__all__ = ["JOIN_WAIT_SECONDS", "JoinSlots"]

JOIN_WAIT_SECONDS = 5.0


class JoinSlots:
    def __init__(self, database_pool_size: int, *, wait_seconds: float = JOIN_WAIT_SECONDS) -> None:
        # The pool has 2 x pool_size connections (overflow included): joins get fewer than half.
        self.size = max(1, database_pool_size - 1)
        self._slots = asyncio.Semaphore(self.size)
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
