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
  replaced (on this server only) by :class:`.FrameWebSocket`, which learns the
  engine.io socket from its handler (a bound method of the socket) and
  uvicorn's protocol from the ASGI ``send`` (a bound method of
  ``WebSocketsSansIOProtocol``);
- ``AsyncServer.create_queue`` returns :class:`.PacketQueue`, and the server
  gets a ``ping_schedule`` (:class:`.PingSchedule`, read by
  :class:`.LeanSocket`);
- engine.io's ``connect`` handler (python-socketio's) is wrapped so that each
  ``AsyncSocket`` becomes a :class:`.LeanSocket` before its first ping; it
  overrides ``schedule_ping`` and ``_websocket_handler`` and relies on the
  attributes ``queue``, ``connected``, ``upgraded``, ``upgrading``,
  ``closing``, ``closed``, ``last_ping`` and the methods ``receive`` and
  ``close``;
- uvicorn's ``WebSocketsSansIOProtocol`` attributes ``transport``,
  ``conn.extensions``, ``close_sent``, ``queue``, ``writable``, ``request``
  and ``response``.

:func:`install` checks them at start; when one is missing (an unpinned
upgrade) it logs once and every broadcast takes the stock path.

Ordering.  Every frame of a socket, from either path, is written
synchronously: :class:`.FrameWebSocket` replaces the driver's ``send`` (which
awaited uvicorn's flow control) by a direct ``transport.write``, and a direct
websocket's queue writes each packet as it is put.  A broadcast writes its
frame directly only to a socket whose queue has nothing outstanding
(:attr:`.PacketQueue.outstanding`); otherwise it queues the packet behind
what the stock path queued (pings, acks, messages to one socket).  Hence per
socket the wire order is the order of the emits.

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

import logging
from collections.abc import Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.async_drivers.asgi import WebSocket as AsgiWebSocket
from engineio.async_socket import AsyncSocket

from ..metrics import Metrics
from .queues import PacketQueue
from .websocket import PROTOCOL_CLASS, FrameWebSocket, LeanSocket, PingSchedule, ws_frame

__all__ = ["Fanout", "install"]

log = logging.getLogger("liveclass.fanout")

NAMESPACE = "/"
_SOCKET_ATTRS = (
    "queue",
    "connected",
    "upgraded",
    "upgrading",
    "closing",
    "closed",
    "last_ping",
    "send",
    "receive",
    "close",
    "schedule_ping",
    "_websocket_handler",
)
_PROTOCOL_ATTRS = (
    "transport",
    "conn",
    "close_sent",
    "queue",
    "writable",
    "request",
    "response",
)


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
    if not callable(getattr(eio, "handlers", {}).get("connect")):
        missing.append("engineio AsyncServer.handlers['connect']")
    if not all(hasattr(AsgiWebSocket, a) for a in ("__call__", "send", "close", "wait")):
        missing.append("engineio.async_drivers.asgi.WebSocket")
    if PROTOCOL_CLASS is None:
        missing.append("uvicorn WebSocketsSansIOProtocol")
    else:
        # Instance attributes: set in __init__, or (the handshake's) in handle_connect.
        assigned = {
            name
            for method in (PROTOCOL_CLASS.__init__, PROTOCOL_CLASS.handle_connect)
            for name in method.__code__.co_names
        }
        missing += [
            f"uvicorn WebSocketsSansIOProtocol.{a}"
            for a in _PROTOCOL_ATTRS
            if a not in assigned and not hasattr(PROTOCOL_CLASS, a)
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
        return FrameWebSocket(
            handler, server, max_unsent=max_unsent_bytes, on_slow=fanout.slow_reader
        )

    eio = sio.eio
    eio._async = {**eio._async, "websocket": make_websocket}
    eio.create_queue = PacketQueue
    eio.ping_schedule = PingSchedule(eio.ping_interval)
    socketio_connect = eio.handlers["connect"]

    async def connect(eio_sid: str, environ: dict[str, Any]) -> Any:
        # engine.io constructs its AsyncSocket itself; this runs before the first
        # ping is scheduled and before a websocket is served.
        socket = eio.sockets.get(eio_sid)
        if type(socket) is AsyncSocket:
            socket.__class__ = LeanSocket
        return await socketio_connect(eio_sid, environ)

    eio.handlers["connect"] = connect
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
            ws: FrameWebSocket | None = socket.frames
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
