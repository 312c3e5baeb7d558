"""Waiting for a condition with a deadline, instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

__all__ = ["wait_until", "wait_until_sync"]

# How often a condition is checked: short next to any deadline, long next to a context switch.
POLL_SECONDS = 0.05


async def wait_until(
    condition: Callable[[], bool] | Callable[[], Awaitable[bool]],
    *,
    within: float,
    what: str,
) -> None:
    """Return once ``condition()`` is true (awaited if it is a coroutine); fail after ``within``."""
    try:
        async with asyncio.timeout(within):
            while True:
                outcome = condition()
                if await outcome if inspect.isawaitable(outcome) else outcome:
                    return
                await asyncio.sleep(POLL_SECONDS)
    except TimeoutError:
        raise AssertionError(f"not within {within} s: {what}") from None


def wait_until_sync(condition: Callable[[], bool], *, within: float, what: str) -> None:
    """:func:`wait_until` for code outside an event loop (child processes, log files)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        time.sleep(POLL_SECONDS)
