"""Serving an ASGI app with uvicorn on 127.0.0.1 and a free port, inside the test loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from server.app import create_app
from server.providers.base import MeetingProvider
from server.settings import Settings

__all__ = ["LiveServer", "serve_app", "serve_asgi"]


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings
    app: Any


@asynccontextmanager
async def serve_asgi(app: Any, *, lifespan: str = "on", port: int = 0) -> AsyncIterator[str]:
    """Serve ``app`` (on ``port``, or a free one); yields its base URL ``http://127.0.0.1:PORT``."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan=lifespan,  # type: ignore[arg-type]
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def serve_app(
    settings: Settings, *, providers: dict[str, MeetingProvider] | None = None, port: int = 0
) -> AsyncIterator[LiveServer]:
    app = create_app(settings, providers=providers)
    async with serve_asgi(app, port=port) as url:
        yield LiveServer(url=url, settings=settings, app=app)
