"""The app wired to the fake Zoom and fake Google on 127.0.0.1, with no server-wide accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tests.fakes.google import FakeGoogle, create_fake_google
from tests.fakes.zoom import FakeZoom, create_fake_zoom

from .backends import Backend
from .processes import free_port
from .servers import LiveServer, serve_app, serve_asgi

__all__ = ["ProviderWorld", "provider_world"]


@dataclass
class ProviderWorld:
    server: LiveServer
    zoom: FakeZoom
    google: FakeGoogle


@asynccontextmanager
async def provider_world(backend: Backend) -> AsyncIterator[ProviderWorld]:
    zoom, google = create_fake_zoom(), create_fake_google()
    port = free_port()  # known before start: OAuth redirect URIs name it
    async with (
        serve_asgi(zoom.app, lifespan="off") as zoom_url,
        serve_asgi(google.app, lifespan="off") as google_url,
    ):
        settings = backend.settings(
            public_url=f"http://127.0.0.1:{port}",
            zoom_api_base=f"{zoom_url}/v2",
            zoom_oauth_base=zoom_url,
            zoom_client_id=zoom.client_id,
            zoom_client_secret=zoom.client_secret,
            google_client_id=google.client_id,
            google_client_secret=google.client_secret,
            google_token_url=f"{google_url}/token",
            google_calendar_api_base=f"{google_url}/calendar/v3",
            google_meet_api_base=f"{google_url}/v2",
        )
        async with serve_app(settings, port=port) as live:
            yield ProviderWorld(live, zoom, google)
