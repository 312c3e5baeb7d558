"""Batching of ephemeral class events: at most ``1 / interval`` flushes per class and kind.

Items added for a class are collected until its next flush.  Flushes of one
class never overlap, and anything added during a flush schedules another one
``interval`` after it, so the last flush after activity stops always runs
after the last change: a flush that reads current state (vote counts,
tallies, who is online) therefore always ends on the final state.  The limit
holds per process; several processes each batch what they originate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

log = logging.getLogger("liveclass.realtime")

T = TypeVar("T")


class Coalescer(Generic[T]):
    def __init__(
        self, flush: Callable[[str, list[T]], Awaitable[None]], *, interval: float = 0.25
    ) -> None:
        self._flush = flush
        self._interval = interval
        self._pending: dict[str, list[T]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._last: dict[str, float] = {}

    def add(self, class_id: str, item: T) -> None:
        self._pending.setdefault(class_id, []).append(item)
        if class_id not in self._timers:
            self._schedule(class_id)

    def _schedule(self, class_id: str) -> None:
        now = asyncio.get_running_loop().time()
        delay = max(0.0, self._last.get(class_id, now - self._interval) + self._interval - now)
        self._timers[class_id] = asyncio.create_task(self._run(class_id, delay))

    async def _run(self, class_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        items = self._pending.pop(class_id, [])
        self._last[class_id] = asyncio.get_running_loop().time()
        try:
            await self._flush(class_id, items)
        except Exception:
            log.exception("coalesced flush failed for class %s", class_id)
        finally:
            del self._timers[class_id]
            if class_id in self._pending:
                self._schedule(class_id)

    async def close(self) -> None:
        timers = list(self._timers.values())
        for timer in timers:
            timer.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
