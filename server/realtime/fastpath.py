"""Frame once, write to all: room broadcasts without a task, a queue hop and a frame per recipient.

Stock python-socketio encodes a room emit once, then spends an asyncio task,
an engine.io queue hop, an ASGI ``send`` and a WebSocket frame build on every
recipient (45-80 us of CPU per delivery).  :class:`Fanout` encodes the
Socket.IO packet once, builds the complete WebSocket text frame once, and
writes the same bytes to the transport of every websocket recipient.

Internals it touches (hence the exact pins of python-engineio,
python-socketio and uvicorn in pyproject, and the gate suite
``tests/realtime/test_fastpath_gate.py`` that runs the official Node client
against it):

- engine.io's per-server driver table ``AsyncServer._async["websocket"]`` is
  replaced (on this server only) by :class:`FrameWebSocket`, which learns the
  engine.io ``AsyncSocket`` from its handler (a bound method of the socket)
  and uvicorn's protocol from the ASGI ``send`` (a bound method of
  ``WebSocketsSansIOProtocol``);
- ``AsyncServer.create_queue`` returns :class:`OrderedQueue`, which counts
  packets queued but not yet handed to the transport, and wraps each in a
  :class:`QueuedPacket` (engine.io only calls ``encode()`` on what it polls);
- ``AsyncSocket`` attributes ``queue``, ``upgraded``, ``upgrading``,
  ``closing``, ``closed``, and ``AsyncServer.sockets``;
- uvicorn's ``WebSocketsSansIOProtocol`` attributes ``transport``,
  ``conn.extensions``, ``handshake_complete``, ``close_sent`` and
  ``disconnected``; once the handshake is done its ``request`` and ``response``
  (and engine.io's ``wsgi.input`` in the environ) are dropped to save memory.

:func:`install` checks all of them at start; when one is missing (an
unpinned upgrade) it logs once and every broadcast takes the stock path.

Ordering.  Every frame of a socket, from either path, is written
synchronously: :class:`FrameWebSocket` replaces the driver's ``send`` (which
awaited uvicorn's flow control) by a direct ``transport.write``, so engine.io's
writer task never holds a packet across a suspension point.  A broadcast
writes its frame directly only to a socket whose queue has nothing
outstanding (:attr:`OrderedQueue.outstanding`); otherwise it queues the packet
behind what the stock path queued (pings, acks, messages to one socket).
Hence per socket the wire order is the order of the emits.

Limits, stated plainly:

- Only websocket clients on uvicorn's ``websockets-sansio`` protocol (the
  default with ``uvicorn[standard]``) without permessage-deflate get frames
  directly; polling clients, clients mid-upgrade, compressed sockets and the
  other uvicorn websocket implementations keep the stock queue.
- Binary broadcasts are queued per socket (stock encoding), never framed here.
- Slow readers: since writes no longer wait for the kernel buffer to drain,
  the bytes a socket has not sent yet are checked after each write; past
  ``max_unsent_bytes`` the connection is aborted (counted in
  ``liveclass_slow_clients_disconnected_total``) and the client reconnects and
  resyncs.  Polling clients are bounded only by engine.io's ping timeout.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.async_drivers.asgi import WebSocket as AsgiWebSocket
from engineio.async_socket import AsyncSocket

from ..metrics import Metrics

__all__ = ["Fanout", "FrameWebSocket", "OrderedQueue", "QueuedPacket", "install", "ws_frame"]

log = logging.getLogger("liveclass.fanout")

NAMESPACE = "/"
_FRAME_ATTR = "_liveclass_frames"
_SOCKET_ATTRS = ("queue", "upgraded", "upgrading", "closing", "closed", "send")
_PROTOCOL_ATTRS = (
    "transport",
    "conn",
    "handshake_complete",
    "close_sent",
    "disconnected",
)


TEXT, BINARY = 0x81, 0x82  # FIN bit + opcode


def ws_frame(payload: bytes, first_byte: int = TEXT) -> bytes:
    """One unmasked, final WebSocket frame (as a server sends it) carrying ``payload``."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first_byte, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first_byte, 126, size) + payload
    return struct.pack("!BBQ", first_byte, 127, size) + payload


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


class OrderedQueue(asyncio.Queue[Any]):
    """engine.io's packet queue, counting packets put and not yet marked done.

    engine.io's writer marks each packet done as it takes it and then writes
    it without suspending (see :class:`FrameWebSocket`), so ``outstanding == 0``
    means nothing of the stock path is waiting to reach the wire.  Packets
    are queued as :class:`QueuedPacket` (``None``, the writer's stop signal,
    as is).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outstanding = 0

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item if item is None else QueuedPacket(item))
        self.outstanding += 1

    def task_done(self) -> None:
        super().task_done()
        self.outstanding -= 1


class FrameWebSocket(AsgiWebSocket):  # type: ignore[misc]
    """engine.io's ASGI websocket driver, writing frames straight to uvicorn's transport."""

    def __init__(self, handler: Callable[..., Any], server: Any) -> None:
        super().__init__(handler, server)
        self._socket_handler = handler
        self.socket: AsyncSocket | None = getattr(handler, "__self__", None)
        self.protocol: Any = None
        self.on_slow: Callable[[FrameWebSocket], None] = lambda ws: None
        self.max_unsent = 0

    async def __call__(self, environ: dict[str, Any]) -> Any:
        protocol = getattr(environ.get("asgi.send"), "__self__", None)
        if (
            _PROTOCOL_CLASS is not None
            and isinstance(protocol, _PROTOCOL_CLASS)
            and not protocol.conn.extensions
        ):
            self.protocol = protocol
            if self.socket is not None:
                setattr(self.socket, _FRAME_ATTR, self)
            # Memory kept for the connection's whole life but never read again once it
            # is a websocket: the request body reader (a class engine.io defines per
            # request; a websocket has no body) and the handshake's request and response.
            environ.pop("wsgi.input", None)
            handler, handshake = self._socket_handler, protocol

            async def handle(ws: FrameWebSocket) -> Any:
                handshake.request = handshake.response = None  # type: ignore[assignment]
                return await handler(ws)

            self.handler = handle
        try:
            return await super().__call__(environ)
        finally:
            if self.socket is not None and getattr(self.socket, _FRAME_ATTR, None) is self:
                setattr(self.socket, _FRAME_ATTR, None)

    async def send(self, message: str | bytes) -> None:
        if self.protocol is None:
            await super().send(message)
            return
        if isinstance(message, str):
            self.write(ws_frame(message.encode()))
        else:
            self.write(ws_frame(message, BINARY))

    def write(self, frame: bytes) -> bool:
        """Write one complete frame now if the connection is open (``False`` if it is not).

        Aborts the connection when too much is left unsent.  Called for every
        recipient of every broadcast: the checks are inlined, not a property.
        """
        protocol = self.protocol
        if (
            protocol is None
            or not protocol.handshake_complete
            or protocol.close_sent
            or protocol.disconnected
        ):
            return False
        transport = protocol.transport
        if transport.is_closing():
            return False
        transport.write(frame)
        if self.max_unsent and transport.get_write_buffer_size() > self.max_unsent:
            self.on_slow(self)
            transport.abort()
        return True


try:  # uvicorn's default websocket protocol with `uvicorn[standard]`
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol as _PROTOCOL_CLASS,
    )
except ImportError:  # pragma: no cover - without `websockets`, the stock path only
    _PROTOCOL_CLASS = None  # type: ignore[assignment,misc]


def _missing_internals(sio: socketio.AsyncServer) -> list[str]:
    """The internals :mod:`fastpath` relies on that this install lacks."""
    missing: list[str] = []
    eio = getattr(sio, "eio", None)
    table = getattr(eio, "_async", None)
    if not isinstance(table, dict) or "websocket" not in table:
        missing.append("engineio AsyncServer._async['websocket']")
    if not isinstance(getattr(eio, "sockets", None), dict):
        missing.append("engineio AsyncServer.sockets")
    if not hasattr(AsyncSocket, "_websocket_handler"):
        missing.append("engineio AsyncSocket._websocket_handler")
    try:
        probe = AsyncSocket(eio, "probe")
    except Exception as exc:
        missing.append(f"engineio AsyncSocket(server, sid): {exc}")
    else:
        missing += [f"engineio AsyncSocket.{a}" for a in _SOCKET_ATTRS if not hasattr(probe, a)]
    if not all(hasattr(AsgiWebSocket, a) for a in ("__call__", "send", "close", "wait")):
        missing.append("engineio.async_drivers.asgi.WebSocket")
    if _PROTOCOL_CLASS is None:
        missing.append("uvicorn WebSocketsSansIOProtocol")
    else:
        init = _PROTOCOL_CLASS.__init__.__code__.co_names
        missing += [
            f"uvicorn WebSocketsSansIOProtocol.{a}"
            for a in _PROTOCOL_ATTRS
            if a not in init and not hasattr(_PROTOCOL_CLASS, a)
        ]
    if not hasattr(getattr(sio, "manager", None), "get_participants"):
        missing.append("socketio manager.get_participants")
    return missing


def install(sio: socketio.AsyncServer, metrics: Metrics, *, max_unsent_bytes: int) -> Fanout:
    """The broadcaster of ``sio``: frame-once when this install has the internals, else stock."""
    missing = _missing_internals(sio)
    if missing:
        log.warning(
            "fan-out fast path off (stock python-socketio broadcasts): missing %s",
            ", ".join(missing),
        )
        return Fanout(sio, metrics, fast=False)
    fanout = Fanout(sio, metrics, fast=True)

    def make_websocket(handler: Callable[..., Any], server: Any) -> FrameWebSocket:
        ws = FrameWebSocket(handler, server)
        ws.max_unsent = max_unsent_bytes
        ws.on_slow = fanout.slow_reader
        return ws

    eio = sio.eio
    eio._async = {**eio._async, "websocket": make_websocket}
    eio.create_queue = OrderedQueue
    return fanout


class Fanout:
    """Room broadcasts of one Socket.IO server (namespace ``/``), local sockets only."""

    def __init__(self, sio: socketio.AsyncServer, metrics: Metrics, *, fast: bool) -> None:
        self._sio = sio
        self._metrics = metrics
        self.fast = fast

    def encode(self, event: str, data: Any) -> str | list[Any]:
        """The Socket.IO packet of an event (a list when it carries binary attachments)."""
        packet = self._sio.packet_class(
            socketio.packet.EVENT, namespace=NAMESPACE, data=[event, data]
        )
        encoded: str | list[Any] = packet.encode()
        return encoded

    async def emit(self, event: str, data: Any, room: str) -> None:
        """Send ``event`` to every socket of ``room`` on this process."""
        await self.deliver(room, self.encode(event, data))

    async def deliver(self, room: str, encoded: str | list[Any]) -> None:
        """Send an encoded Socket.IO packet to every socket of ``room`` on this process."""
        if not self.fast:
            await self._stock(room, encoded)
            return
        if isinstance(encoded, list):
            await self._queued(room, encoded)
            return
        frame = ws_frame(b"4" + encoded.encode())
        eio_sockets = self._sio.eio.sockets
        queued: eio_packet.Packet | None = None
        framed = fallback = 0
        for _sid, eio_sid in self._sio.manager.get_participants(NAMESPACE, room):
            socket = eio_sockets.get(eio_sid)
            if socket is None or socket.closed:
                continue
            ws: FrameWebSocket | None = getattr(socket, _FRAME_ATTR, None)
            if (
                ws is not None
                and socket.upgraded
                and not socket.upgrading
                and not socket.closing
                and not socket.queue.outstanding
                and ws.write(frame)
            ):
                framed += 1
            else:
                # Not (or no longer) a websocket of ours, or frames of the stock path
                # still queued: behind them, so the socket's order holds.
                if queued is None:
                    queued = eio_packet.Packet(eio_packet.MESSAGE, encoded)
                await socket.send(queued)
                fallback += 1
        self._count(framed, fallback)

    async def _queued(self, room: str, encoded: list[Any]) -> None:
        """Binary packets: queued per socket, fresh packets (engine.io encodes per transport)."""
        sent = 0
        for _sid, eio_sid in self._sio.manager.get_participants(NAMESPACE, room):
            socket = self._sio.eio.sockets.get(eio_sid)
            if socket is None or socket.closed:
                continue
            for part in encoded:
                await socket.send(eio_packet.Packet(eio_packet.MESSAGE, part))
            sent += 1
        self._count(0, sent)

    async def _stock(self, room: str, encoded: str | list[Any]) -> None:
        packets = encoded if isinstance(encoded, list) else [encoded]
        sent = 0
        for _sid, eio_sid in self._sio.manager.get_participants(NAMESPACE, room):
            for part in packets:
                await self._sio.eio.send_packet(
                    eio_sid, eio_packet.Packet(eio_packet.MESSAGE, part)
                )
            sent += 1
        self._count(0, sent)

    def slow_reader(self, ws: FrameWebSocket) -> None:
        self._metrics.slow_clients_disconnected.inc()
        sid = getattr(ws.socket, "sid", "?")
        log.warning("fan-out: disconnecting slow reader %s (unsent bytes past the limit)", sid)

    def _count(self, framed: int, queued: int) -> None:
        if framed:
            self._metrics.fanout_deliveries.labels("frame").inc(framed)
        if queued:
            self._metrics.fanout_deliveries.labels("queue").inc(queued)
