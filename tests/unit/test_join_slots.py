"""A join beyond the slots waits its turn, and one that waits too long is told to retry."""

from __future__ import annotations

import asyncio

import pytest

from server.errors import RateLimited, ack_body
from server.realtime.join_slots import JoinSlots


async def test_a_join_waits_for_a_free_slot() -> None:
    slots = JoinSlots(1, wait_seconds=30)
    order: list[str] = []
    holding, released = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with slots.slot():
            order.append("first in")
            holding.set()
            await released.wait()
        order.append("first out")

    async def second() -> None:
        async with slots.slot():
            order.append("second in")

    holder = asyncio.create_task(first())
    await holding.wait()
    waiter = asyncio.create_task(second())
    await asyncio.sleep(0)
    assert order == ["first in"]  # the second waits
    released.set()
    await asyncio.gather(holder, waiter)
    assert order == ["first in", "first out", "second in"]


async def test_a_join_that_waits_too_long_is_rate_limited_with_retry_after() -> None:
    slots = JoinSlots(1, wait_seconds=0.05)
    async with slots.slot():
        with pytest.raises(RateLimited) as refused:
            async with slots.slot():
                pytest.fail("admitted beyond the slots")
    assert ack_body(refused.value) == {
        "ok": False,
        "error": {
            "code": "rate_limited",
            "message": "too many joins at once; try again",
            "retry_after": 1,
        },
    }
    async with slots.slot():  # the refused one left nothing taken
        pass
