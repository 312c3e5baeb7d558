"""A bare Socket.IO v4 client over one WebSocket, light enough to run 2000 in one process.

python-socketio's ``AsyncClient`` costs a few tasks, an aiohttp session and
several milliseconds of CPU per connection; with a thousand of them the load
generator saturates before the server.  This one speaks only what the
benchmarks need: the Engine.IO open and ping/pong, a connect with ``auth``,
events with acks, and a tally of the events (and their bytes) it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["SioClient"]

Listener = Callable[[str, Any, float], None]


class SioClient:
    """One connected socket; ``received`` counts events by name, ``bytes_in`` their frames."""

    def __init__(self, url: str, token: str, *, listener: Listener | None = None) -> None:
        self._url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self._token = token
        self._listener = listener
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_ack = 0
        self._connected: asyncio.Future[None] | None = None
        self.received: Counter[str] = Counter()
        self.bytes_in: Counter[str] = Counter()

    async def connect(self) -> None:
        self._ws = await connect(self._url, compression=None, max_size=None, open_timeout=60)
        opened = await self._ws.recv()
        if not isinstance(opened, str) or not opened.startswith("0"):
            raise RuntimeError(f"unexpected Engine.IO open: {opened!r}")
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self._ws.send("40" + orjson.dumps({"token": self._token}).decode())
        await self._connected

    async def call(self, event: str, data: Any) -> Any:
        """Emit with an ack and wait for it (bound the wait with ``asyncio.timeout``)."""
        assert self._ws is not None
        ack_id = self._next_ack
        self._next_ack += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self._ws.send(f"42{ack_id}" + orjson.dumps([event, data]).decode())
        return await future

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None and self._connected is not None
        async for frame in self._ws:
            if not isinstance(frame, str):
                continue
            if frame == "2":
                await self._ws.send("3")
            elif frame.startswith("42"):
                name, *args = orjson.loads(frame[2:])
                self.received[name] += 1
                self.bytes_in[name] += len(frame)
                if self._listener is not None:
                    self._listener(name, args[0] if args else None, time.perf_counter())
            elif frame.startswith("43"):
                body = frame[2:]
                split = body.index("[")
                future = self._acks.pop(int(body[:split]), None)
                if future is not None and not future.done():
                    future.set_result(orjson.loads(body[split:])[0])
            elif frame.startswith("40") and not self._connected.done():
                self._connected.set_result(None)
            elif frame.startswith("44") and not self._connected.done():
                self._connected.set_exception(RuntimeError(f"connect refused: {frame[2:]}"))
