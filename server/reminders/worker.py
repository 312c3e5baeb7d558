"""The background task that plans reminders and sends e-mail, in every process."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..outage import Outage
from .mailer import Mailer
from .planner import ReminderPlanner

__all__ = ["ReminderWorker"]

log = logging.getLogger("liveclass.reminders")


class ReminderWorker:
    def __init__(self, planner: ReminderPlanner, mailer: Mailer, *, poll_seconds: float) -> None:
        self._planner = planner
        self._mailer = mailer
        self._poll = poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="liveclass-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> None:
        await self._planner.run_once()
        await self._mailer.run_once()

    async def _run(self) -> None:
        outage = Outage(log, "reminder worker")
        while True:
            try:
                await self.run_once()
            except Exception as exc:
                # The database or the SMTP server may be down: the next pass tries again.
                outage.failed(exc)
            else:
                outage.passed()
            await asyncio.sleep(self._poll)
