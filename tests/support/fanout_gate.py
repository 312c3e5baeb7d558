"""A bare Socket.IO server around :class:`server.realtime.fastpath.Fanout`, for the gate suite.

Every socket joins the room ``all`` at connect.  Events:

- ``echo`` answers its payload (acks);
- ``blast`` ``{"count", "size", "pause_every"}`` broadcasts ``seq`` ``{"i", "pad"}``
  ``count`` times through the fan-out, and between them, through the stock
  path, ``direct`` ``{"after": i}`` to each socket one by one and a binary
  ``bin`` ``{"after": i, "blob": bytes}`` to the room; it yields to the loop
  every ``pause_every`` messages, so upgrades and acks happen mid-stream;
- ``final`` broadcasts ``final`` through the fan-out;
- ``kick`` disconnects the sender from the server side.

:func:`open_stalled_socket` is a raw client that connects and then never
reads (nor answers pings).
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from typing import Any
from urllib.parse import urlsplit

import socketio

from server.metrics import Metrics
from server.realtime.fastpath import Fanout, install

__all__ = ["BINARY_EVERY", "DIRECT_EVERY", "GateServer", "masked_text_frame", "open_stalled_socket"]

ROOM = "all"
DIRECT_EVERY = 7
BINARY_EVERY = 50


class GateServer:
    def __init__(self, *, max_unsent_bytes: int = 1 << 20, ping_interval: float = 1.0) -> None:
        self.metrics = Metrics()
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            ping_interval=ping_interval,
            ping_timeout=2,
            logger=False,
            engineio_logger=False,
        )
        self.fanout: Fanout = install(self.sio, self.metrics, max_unsent_bytes=max_unsent_bytes)
        self.app = socketio.ASGIApp(self.sio)
        self.blasts: set[asyncio.Task[None]] = set()
        self.sio.on("connect", self._connect)
        self.sio.on("echo", self._echo)
        self.sio.on("blast", self._blast)
        self.sio.on("final", self._final)
        self.sio.on("kick", self._kick)

    def deliveries(self, path: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "liveclass_fanout_deliveries_total", {"path": path}
        )
        return value or 0.0

    def slow_disconnects(self) -> float:
        value = self.metrics.registry.get_sample_value("liveclass_slow_clients_disconnected_total")
        return value or 0.0

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self.sio.enter_room(sid, ROOM)

    async def _echo(self, sid: str, data: Any) -> Any:
        return data

    async def _final(self, sid: str, data: Any = None) -> dict[str, bool]:
        await self.fanout.emit("final", {}, ROOM)
        return {"sent": True}

    async def _kick(self, sid: str, data: Any = None) -> None:
        await self.sio.disconnect(sid)

    async def _blast(self, sid: str, spec: dict[str, int]) -> dict[str, bool]:
        task = asyncio.create_task(self.blast(spec["count"], spec["size"], spec["pause_every"]))
        self.blasts.add(task)
        task.add_done_callback(self.blasts.discard)
        return {"started": True}

    async def blast(self, count: int, size: int, pause_every: int) -> None:
        pad = "x" * size
        for i in range(count):
            await self.fanout.emit("seq", {"i": i, "pad": pad}, ROOM)
            if i % DIRECT_EVERY == DIRECT_EVERY // 2:
                for member, _eio_sid in list(self.sio.manager.get_participants("/", ROOM)):
                    await self.sio.emit("direct", {"after": i}, to=member)
            if i % BINARY_EVERY == BINARY_EVERY // 2:
                await self.fanout.emit("bin", {"after": i, "blob": bytes([i % 256]) * 16}, ROOM)
            if pause_every and i % pause_every == pause_every - 1:
                await asyncio.sleep(0.002)  # pacing the sender is the scenario: let readers drain


def masked_text_frame(text: str) -> bytes:
    """A client's WebSocket text frame (clients must mask)."""
    payload = text.encode()
    mask = os.urandom(4)
    assert len(payload) < 126
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + body


async def open_stalled_socket(url: str) -> socket.socket:
    """A raw websocket Socket.IO client that connects, then never reads again."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, (host, port))
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(raw, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(raw, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    await loop.sock_sendall(raw, masked_text_frame("40"))  # Socket.IO connect, namespace /
    return raw
