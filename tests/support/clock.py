"""A clock a test moves by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["FakeClock"]


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
