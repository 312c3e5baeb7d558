"""The per-connection queues and event answer what engine.io and uvicorn ask as asyncio's would."""

from __future__ import annotations

import asyncio

import pytest
from engineio import packet as eio_packet

from server.realtime.queues import PacketQueue, QueuedPacket, SlimEvent, SlimQueue


async def test_items_come_out_in_order_and_an_empty_queue_says_so() -> None:
    queue: SlimQueue[int] = SlimQueue()
    assert queue.empty() and queue.qsize() == 0
    for item in (1, 2, 3):
        await queue.put(item)
    assert queue.qsize() == 3
    assert [queue.get_nowait(), await queue.get(), queue.get_nowait()] == [1, 2, 3]
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_getter_gets_the_next_item() -> None:
    queue: SlimQueue[str] = SlimQueue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put_nowait("a")
    assert await getter == "a"


async def test_a_getter_cancelled_after_its_wake_up_passes_the_item_on() -> None:
    queue: SlimQueue[str] = SlimQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("only")  # wakes the first getter...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 1) == "only"
    assert first.cancelled()


async def test_a_getter_timing_out_leaves_no_trace() -> None:
    queue: SlimQueue[str] = SlimQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait("kept")
    assert queue.get_nowait() == "kept"


async def test_join_waits_until_every_item_is_marked_done() -> None:
    queue: SlimQueue[int] = SlimQueue()
    await queue.join()  # nothing unfinished: returns at once
    queue.put_nowait(1)
    joined = asyncio.create_task(queue.join())
    await asyncio.sleep(0)
    assert not joined.done()
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError, match="too many times"):
        queue.task_done()


async def test_a_slim_event_wakes_its_waiters() -> None:
    event = SlimEvent()
    waiters = [asyncio.create_task(event.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    event.set()
    assert await asyncio.gather(*waiters) == [True, True]
    assert await event.wait() is True  # already set: at once
    event.clear()
    assert not event.is_set()


async def test_a_wait_given_up_leaves_the_event_usable() -> None:
    event = SlimEvent()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(event.wait(), 0.01)
    waiter = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    event.set()
    assert await asyncio.wait_for(waiter, 1) is True


def message(text: str) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, text)


async def test_a_packet_queue_counts_what_is_queued_and_forgets_encoded_packets() -> None:
    queue = PacketQueue()
    queue.put_nowait(message("a"))
    queue.put_nowait(None)  # engine.io's stop signal is queued as is
    assert queue.outstanding == 2
    queued = queue.get_nowait()
    assert isinstance(queued, QueuedPacket)
    assert queued.encode() == "4a"
    assert queued.packet is None
    with pytest.raises(RuntimeError, match="encoded twice"):
        queued.encode()
    queue.task_done()
    assert queue.get_nowait() is None
    queue.task_done()
    assert queue.outstanding == 0


async def test_writing_through_sends_what_was_queued_first_then_each_packet_at_once() -> None:
    queue = PacketQueue()
    written: list[str | bytes] = []
    queue.put_nowait(message("queued before"))
    queue.write_through(lambda packet: written.append(packet.encode()))
    assert written == ["4queued before"]
    assert queue.outstanding == 0 and queue.empty()
    queue.put_nowait(message("after"))
    queue.put_nowait(None)  # means nothing to a socket that writes through
    assert written == ["4queued before", "4after"]
    assert queue.outstanding == 0
    queue.stop_writing()
    queue.put_nowait(message("queued again"))
    assert written == ["4queued before", "4after"]
    assert queue.outstanding == 1
