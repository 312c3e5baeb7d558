"""How a background worker logs passes that keep failing (a database or a server down).

Failing passes are logged once when they start (a traceback only for the
unexpected: an :class:`~server.errors.Unavailable` is an outage, not a bug),
then one line a minute while they last, and once when they end: a database
that is down for an hour gives 60 lines, not 1,800 tracebacks.
"""

from __future__ import annotations

import logging
import time

from .errors import Unavailable

__all__ = ["Outage"]


class Outage:
    REMIND_SECONDS = 60.0

    def __init__(self, log: logging.Logger, worker: str) -> None:
        self._log = log
        self._worker = worker
        self._failures = 0
        self._reminded = 0.0

    def failed(self, exc: Exception) -> None:
        self._failures += 1
        now = time.monotonic()
        if self._failures == 1:
            self._reminded = now
            self._log.error(
                "%s: pass failed, retrying until it works: %s",
                self._worker,
                exc,
                exc_info=not isinstance(exc, Unavailable),
            )
        elif now - self._reminded >= self.REMIND_SECONDS:
            self._reminded = now
            self._log.error("%s: still failing (%d passes): %s", self._worker, self._failures, exc)

    def passed(self) -> None:
        if self._failures:
            self._log.warning(
                "%s: working again after %d failed passes", self._worker, self._failures
            )
        self._failures = 0
