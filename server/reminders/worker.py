"""The background task that plans reminders and sends e-mail, in every process."""

from __future__ import annotations

import logging

from ..poller import Poller
from .mailer import Mailer
from .planner import ReminderPlanner

__all__ = ["ReminderWorker"]

log = logging.getLogger("liveclass.reminders")


class ReminderWorker(Poller):
    def __init__(self, planner: ReminderPlanner, mailer: Mailer, *, poll_seconds: float) -> None:
        self._planner = planner
        self._mailer = mailer
        # A pass fails while the database or the SMTP server is down; the next one retries.
        super().__init__("reminder worker", self.run_once, every=poll_seconds, log=log)

    async def run_once(self) -> None:
        await self._planner.run_once()
        await self._mailer.run_once()
