"""Per-connection queues (and an event) for engine.io sockets and uvicorn's websocket protocol.

Each connection holds two queues: engine.io's packets to send and uvicorn's
received messages.  ``asyncio.Queue`` allocates four deques from birth (items,
getters, putters, and its ``Event``'s waiters), about 600 bytes each, so
about 5 KB per idle client went to queues that hold nothing most of the time.
:class:`SlimQueue` implements the part of ``asyncio.Queue`` the two libraries
use (unbounded, no ``put`` that waits) with a deque held only while items
wait, getters in a list (56 bytes empty), and an event made only when a
caller waits for ``join``.  :class:`SlimEvent` is uvicorn's
per-connection "writable" event, with no deque of waiters.

:class:`PacketQueue` is engine.io's queue on the fan-out fast path: it counts
packets put and not yet taken (:attr:`PacketQueue.outstanding`, so a
broadcast knows whether its frame would overtake them), lets go of each
packet once it is encoded (:class:`QueuedPacket`), and once a socket's
websocket writes frames itself (:meth:`PacketQueue.write_through`), hands every
packet straight to it instead of queueing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Literal, Protocol, TypeVar

from engineio import packet as eio_packet

__all__ = ["Encodable", "PacketQueue", "PacketWriter", "QueuedPacket", "SlimEvent", "SlimQueue"]

T = TypeVar("T")


class Encodable(Protocol):
    """What engine.io's writers take from a socket's queue."""

    def encode(self, b64: bool = False) -> str | bytes: ...


PacketWriter = Callable[[Encodable], object]


class SlimQueue(Generic[T]):
    """An unbounded FIFO queue with ``asyncio.Queue``'s ``put``/``get``/``task_done``/``join``.

    Limits: no ``maxsize`` (neither library bounds these queues) and no
    ``put`` that waits for room.
    """

    __slots__ = ("_finished", "_getters", "_items", "_unfinished")

    def __init__(self) -> None:
        self._items: deque[T] | None = None
        self._getters: list[asyncio.Future[None]] = []
        self._finished: SlimEvent | None = None
        self._unfinished = 0

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._unfinished += 1
        self._wake_getter()

    async def put(self, item: T) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._take()

    async def get(self) -> T:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                if getter in self._getters:
                    self._getters.remove(getter)
                elif not getter.cancelled() and self._items:
                    # Woken for an item, then cancelled: the next getter takes it.
                    self._wake_getter()
                raise
        return self._take()

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if not self._unfinished and self._finished is not None:
            self._finished.set()

    async def join(self) -> None:
        if self._unfinished:
            if self._finished is None:
                self._finished = SlimEvent()
            self._finished.clear()
            await self._finished.wait()

    def _take(self) -> T:
        items = self._items
        assert items
        item = items.popleft()
        if not items:
            self._items = None  # an idle connection keeps no empty deque (~600 bytes)
        return item

    def _wake_getter(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return


class SlimEvent:
    """``asyncio.Event``'s set, clear, is_set and wait, its waiters in a plain list."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if not self._value:
            self._value = True
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> Literal[True]:
        if self._value:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class QueuedPacket:
    """An engine.io packet in a socket's queue that lets go of the packet once encoded.

    engine.io's websocket writer keeps the last batch it sent (``packets`` and
    ``pkt`` in its loop) until the next packet arrives, which on an idle
    socket is the next ping, up to ``ping_interval`` later.  The last one is
    usually the ``class:join`` ack: the snapshot (tens of KB) would stay alive
    per idle client.  Both transports only ``encode()`` what they take from
    the queue (the websocket writer once per packet, polling inside its
    payload), and the same packet may be queued for many sockets, so this
    wrapper, not the packet, forgets it.
    """

    __slots__ = ("packet",)

    def __init__(self, packet: eio_packet.Packet) -> None:
        self.packet: eio_packet.Packet | None = packet

    def encode(self, b64: bool = False) -> str | bytes:
        packet, self.packet = self.packet, None
        if packet is None:
            raise RuntimeError("an engine.io packet was encoded twice")
        encoded: str | bytes = packet.encode(b64=b64)
        return encoded


class PacketQueue(SlimQueue[Any]):
    """engine.io's packet queue on the fast path: counted, forgetful, and able to write through.

    Packets are queued as :class:`QueuedPacket` (``None``, the writer's stop
    signal, as is).  After :meth:`write_through` nothing is queued any more:
    each packet put goes to the socket's writer at once, in the order put.
    """

    __slots__ = ("_writer",)

    def __init__(self) -> None:
        super().__init__()
        self._writer: PacketWriter | None = None

    @property
    def outstanding(self) -> int:
        """Packets put and not yet taken for the wire (0 once writing through)."""
        return self._unfinished

    def put_nowait(self, item: Any) -> None:
        if self._writer is None:
            super().put_nowait(item if item is None else QueuedPacket(item))
        elif item is not None:
            # The stop signal means nothing here: the writing socket ends with its reader.
            self._writer(item)

    def write_through(self, writer: PacketWriter) -> None:
        """Write what is queued with ``writer``, in order, then hand it every packet put."""
        while self._items:
            item = self._take()
            self.task_done()
            if item is not None:
                writer(item)
        self._writer = writer

    def stop_writing(self) -> None:
        """Queue packets again (the socket's writer is gone)."""
        self._writer = None
