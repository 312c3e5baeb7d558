"""Serving an ASGI app with uvicorn on 127.0.0.1 and a free port, inside the test loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from server.app import Runtime, create_app, runtime_of
from server.providers.base import MeetingProvider
from server.settings import Settings
from tests.fakes.serving import serve_asgi

__all__ = ["LiveServer", "serve_app", "serve_asgi"]


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings
    app: Any

    @property
    def state(self) -> Runtime:
        """What ``create_app`` built: the context, the hub, the workers."""
        return runtime_of(self.app.other_asgi_app)


@asynccontextmanager
async def serve_app(
    settings: Settings, *, providers: dict[str, MeetingProvider] | None = None, port: int = 0
) -> AsyncIterator[LiveServer]:
    app = create_app(settings, providers=providers)
    async with serve_asgi(app, port=port) as url:
        yield LiveServer(url=url, settings=settings, app=app)
