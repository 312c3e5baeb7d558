"""engine.io's websocket transport on the fast path: frames written straight to uvicorn's transport.

Two classes stand in for python-engineio's own on servers where
:func:`.fastpath.install` succeeded (the internals they touch are listed
there):

- :class:`FrameWebSocket`, engine.io's ASGI websocket driver, writes every
  frame synchronously with ``transport.write`` (the driver's ``send`` awaited
  uvicorn's flow control), and bounds the bytes a slow reader leaves unsent.
- :class:`LeanSocket`, engine.io's socket, is pinged from one
  :class:`PingSchedule` per server instead of a task per ping and, on a
  websocket opened directly (not upgraded from polling) that
  :class:`FrameWebSocket` can frame, serves it with one read loop: packets
  put in its queue are written at once (:class:`.PacketQueue` writes
  through), so there is no writer task and no queue hop, and reads need no
  task or timer of their own (a client that stops answering pings is closed
  by engine.io's ping check, and closing the socket closes its websocket).

Stock engine.io and uvicorn keep four tasks, three ``asyncio.Queue`` or
``asyncio.Event`` objects and four timers (the writer's wait, the read's
timeout, the ping's sleep, uvicorn's keepalive) per idle websocket; with these
classes it is one task (uvicorn's), two :class:`.SlimQueue`, a
:class:`.SlimEvent` and uvicorn's keepalive timer (none when its WebSocket
pings are off, as ``liveclass serve`` runs it).

Sockets upgraded from polling, polling sockets, compressed websockets and
the other uvicorn websocket implementations keep engine.io's own handler
(they still get :class:`LeanSocket`'s scheduled pings and, once upgraded and
uncompressed, framed broadcasts).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers.asgi import WebSocket as AsgiWebSocket
from engineio.async_socket import AsyncSocket

from .queues import Encodable, PacketQueue, SlimEvent, SlimQueue

__all__ = ["PROTOCOL_CLASS", "FrameWebSocket", "LeanSocket", "PingSchedule", "ws_frame"]

log = logging.getLogger("liveclass.fanout")

TEXT, BINARY = 0x81, 0x82  # FIN bit + opcode

try:  # uvicorn's default websocket protocol with `uvicorn[standard]`
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol as PROTOCOL_CLASS,
    )
except ImportError:  # pragma: no cover - without `websockets`, the stock path only
    PROTOCOL_CLASS = None  # type: ignore[assignment,misc]


def ws_frame(payload: bytes, first_byte: int = TEXT) -> bytes:
    """One unmasked, final WebSocket frame (as a server sends it) carrying ``payload``."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first_byte, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first_byte, 126, size) + payload
    return struct.pack("!BBQ", first_byte, 127, size) + payload


class FrameWebSocket(AsgiWebSocket):  # type: ignore[misc]
    """engine.io's ASGI websocket driver, writing frames straight to uvicorn's transport."""

    def __init__(
        self,
        handler: Callable[..., Any],
        server: Any,
        *,
        max_unsent: int,
        on_slow: Callable[[FrameWebSocket], None],
    ) -> None:
        super().__init__(handler, server)
        self.socket: AsyncSocket | None = getattr(handler, "__self__", None)
        self.protocol: Any = None  # uvicorn's, when this driver writes frames itself
        self.transport: asyncio.Transport | None = None
        self.max_unsent = max_unsent
        self.on_slow = on_slow

    async def __call__(self, environ: dict[str, Any]) -> Any:
        protocol = getattr(environ.get("asgi.send"), "__self__", None)
        if (
            PROTOCOL_CLASS is not None
            and isinstance(protocol, PROTOCOL_CLASS)
            and not protocol.conn.extensions
        ):
            self.protocol, self.transport = protocol, protocol.transport
            # A websocket has no body: engine.io's request body reader (a class it
            # defines per request) would otherwise live as long as the connection.
            environ.pop("wsgi.input", None)
        return await super().__call__(environ)

    def handshake_done(self) -> None:
        """Let go of what the connection keeps but never reads once it is a websocket.

        The handshake's request and response, and their headers (the request
        also stays alive as a local of the websockets parser); uvicorn's
        ``asyncio.Queue`` of received messages and its ``writable`` event
        become a :class:`.SlimQueue` and a :class:`.SlimEvent` in the same
        state.  Nothing waits on either now: this runs in the connection's
        only reader, between the accept and the first read.
        """
        protocol = self.protocol
        protocol.request.headers.clear()
        protocol.request = protocol.response = None
        received: SlimQueue[Any] = SlimQueue()
        while not protocol.queue.empty():
            received.put_nowait(protocol.queue.get_nowait())
        protocol.queue = received
        writable = SlimEvent()
        if protocol.writable.is_set():
            writable.set()
        protocol.writable = writable

    async def close(self) -> None:
        """The closing handshake; an abort when the client has stopped reading.

        uvicorn's ``send`` waits while the transport is paused for writing, and
        for a client that reads nothing that is forever: the caller (engine.io's
        ping check, a server-side disconnect) would wait with it.
        """
        if self.transport is not None and not self.protocol.writable.is_set():
            self.transport.abort()
            return
        await super().close()

    async def send(self, message: str | bytes) -> None:
        if self.protocol is None:
            await super().send(message)
            return
        self.write_message(message)

    def write_packet(self, packet: Encodable) -> None:
        """Encode an engine.io packet and write its frame now (dropped if the connection closed)."""
        self.write_message(packet.encode())

    def write_message(self, message: str | bytes) -> None:
        """Write an encoded engine.io packet as one text (``str``) or binary frame, now."""
        if isinstance(message, str):
            self.write(ws_frame(message.encode()))
        else:
            self.write(ws_frame(message, BINARY))

    def write(self, frame: bytes) -> bool:
        """Write one complete frame now if the connection is open (``False`` if it is not).

        Aborts the connection when too much is left unsent.  Called for every
        recipient of every broadcast, and only once the handshake is done (a
        closed connection's transport is closing).
        """
        transport = self.transport
        assert transport is not None
        if self.protocol.close_sent or transport.is_closing():
            return False
        transport.write(frame)
        if transport.get_write_buffer_size() > self.max_unsent:
            self.on_slow(self)
            transport.abort()
        return True


class PingSchedule:
    """engine.io's pings for every socket of one server, from one timer instead of one per socket.

    Each socket waits the same ``ping_interval`` after its last pong, so the
    sockets queued in the order they asked are also in the order their pings
    fall due: a FIFO with one loop timer for its head.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._due: deque[tuple[float, LeanSocket]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, socket: LeanSocket) -> None:
        """Ping ``socket`` once ``ping_interval`` has passed."""
        loop = asyncio.get_running_loop()
        self._due.append((loop.time() + self._interval, socket))
        if self._timer is None:
            self._timer = loop.call_at(self._due[0][0], self._fire)

    def _fire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._due and self._due[0][0] <= now:
            self._due.popleft()[1].ping()
        self._timer = loop.call_at(self._due[0][0], self._fire) if self._due else None


class LeanSocket(AsyncSocket):  # type: ignore[misc]
    """engine.io's socket with timer pings and, on a framed direct websocket, no writer task.

    :func:`.fastpath.install` turns each socket engine.io creates into one,
    before engine.io schedules its first ping, and gives the engine.io server
    its ``ping_schedule`` (a :class:`PingSchedule`).
    """

    frames: FrameWebSocket | None = None
    """The socket's websocket while broadcasts may write frames to it directly."""
    last_ping: float | None  # engine.io's: when the unanswered ping went out

    def schedule_ping(self) -> None:
        # Stock engine.io starts a task that sleeps ``ping_interval``: a task, two
        # coroutine frames and a future per socket, where an entry in the server's
        # schedule will do.
        if self.last_ping:
            self.last_ping = None
            self.server.ping_schedule.add(self)

    def ping(self) -> None:
        """Send the ping that is due (unless the socket is closing)."""
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        """engine.io's close, then the websocket's closing handshake (ending its read)."""
        await super().close(wait=wait, abort=abort, reason=reason)
        if self.frames is not None:
            await self.frames.close()

    async def _websocket_handler(self, ws: Any) -> None:
        if not isinstance(ws, FrameWebSocket) or ws.protocol is None:
            await super()._websocket_handler(ws)
            return
        ws.handshake_done()
        self.frames = ws
        try:
            if self.connected:  # an upgrade from polling: engine.io's own steps
                await super()._websocket_handler(ws)
            else:
                await self._serve(ws)
        finally:
            self.frames = None

    async def _serve(self, ws: FrameWebSocket) -> None:
        """engine.io's websocket session, reading in this task and writing as packets are put."""
        server = self.server
        self.connected = self.upgraded = True
        queue: PacketQueue = self.queue
        queue.write_through(ws.write_packet)
        try:
            while True:
                # No timeout per read: a client that stops answering pings is closed
                # by engine.io's ping check, and close() ends this read.
                try:
                    message = await ws.wait()
                except OSError:  # the connection is closing or gone
                    break
                if len(message) > server.max_http_buffer_size:
                    log.info("%s: engine.io packet over the size limit, closing", self.sid)
                    break
                try:
                    packet = eio_packet.Packet(encoded_packet=message)
                except ValueError:
                    log.info("%s: malformed engine.io packet, closing", self.sid)
                    break
                try:
                    await self.receive(packet)
                except eio_exceptions.UnknownPacketError:
                    continue  # a packet type a client does not send: ignored, as engine.io does
                except eio_exceptions.SocketIsClosedError:
                    break
        finally:
            queue.stop_writing()
            await self.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
