"""The loop every background worker runs: a pass now, then one per period or when woken.

A pass that raises is logged through :class:`~server.outage.Outage` (once
when failures start, then a line a minute, then once when they end) and the
next pass tries again: the work waits in the database, nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from .outage import Outage

__all__ = ["Poller"]


class Poller:
    def __init__(
        self,
        name: str,
        run_pass: Callable[[], Awaitable[object]],
        *,
        every: float,
        log: logging.Logger,
    ) -> None:
        """``name`` (e.g. ``"webhook worker"``) labels the task and the outage log lines."""
        self._name = name
        self._run_pass = run_pass
        self._every = every
        self._log = log
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(
            self._run(), name=f"liveclass-{self._name.replace(' ', '-')}"
        )

    def wake(self) -> None:
        """Run the next pass now rather than at the end of the period."""
        self._wakeup.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        outage = Outage(self._log, self._name)
        while True:
            try:
                await self._run_pass()
            except Exception as exc:
                outage.failed(exc)
            else:
                outage.passed()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._every)
            self._wakeup.clear()
