"""Serving an ASGI app (a fake provider, or liveclass itself) inside a running loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from server.cli import websocket_options

__all__ = ["free_port", "serve_asgi"]


def free_port() -> int:
    """A port nothing listens on now (for a server whose URL must be known before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serve_asgi(
    app: Any,
    *,
    lifespan: str = "on",
    port: int = 0,
    host: str = "127.0.0.1",
    compression: bool = False,
) -> AsyncIterator[str]:
    """Serve ``app`` (on ``port``, or a free one); yields its base URL ``http://HOST:PORT``.

    ``compression``: offer permessage-deflate to websocket clients.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan=lifespan,  # type: ignore[arg-type]
        **websocket_options(compression=compression),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        await task
