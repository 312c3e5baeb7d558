"""The wall clock, in one place: what every timestamp the server records is read from.

Services read it through ``ServiceContext.clock`` and the adapters built
before the context (presence, the credential store) through a callable the
app hands them, so a test that steers the context's clock steers them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utcnow"]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
