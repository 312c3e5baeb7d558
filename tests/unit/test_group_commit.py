"""Group commit on its own: bursts share writes, a refused item fails alone."""

from __future__ import annotations

import asyncio

import pytest

from server.db.group_commit import GroupCommit


class Store:
    """A write that records its batches; items named "bad" make the whole batch fail."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.stored: list[str] = []

    async def write(self, items: list[str]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0)  # a round trip: others arrive meanwhile
        if "bad" in items:
            raise ValueError("refused")
        self.stored += items
        return [len(item) for item in items]


async def test_a_burst_is_written_in_few_batches_and_each_caller_gets_its_result() -> None:
    store = Store()
    group = GroupCommit(store.write, max_batch=50)
    items = [f"item-{n}" * (n % 3 + 1) for n in range(120)]
    results = await asyncio.gather(*(group.submit(item) for item in items))
    assert results == [len(item) for item in items]
    assert sorted(store.stored) == sorted(items)
    # All arrive before the writer runs: at most 50 a batch, nobody left behind.
    assert [len(batch) for batch in store.batches] == [50, 50, 20]


async def test_an_item_the_write_refuses_fails_alone() -> None:
    store = Store()
    group = GroupCommit(store.write)
    first = asyncio.ensure_future(group.submit("first"))
    await asyncio.sleep(0)
    rest = [asyncio.ensure_future(group.submit(item)) for item in ("a", "bad", "bc")]
    assert await first == 5
    assert await rest[0] == 1
    with pytest.raises(ValueError, match="refused"):
        await rest[1]
    assert await rest[2] == 2
    assert sorted(store.stored) == ["a", "bc", "first"]


async def test_a_caller_that_stops_waiting_leaves_the_others_served() -> None:
    store = Store()
    group = GroupCommit(store.write)
    leaving = asyncio.ensure_future(group.submit("leaving"))
    staying = asyncio.ensure_future(group.submit("staying"))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await staying == 7
    assert "leaving" in store.stored  # already in a batch being written
