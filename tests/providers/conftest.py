"""The fakes served over real HTTP on 127.0.0.1, and clients pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from server.providers.credentials import InMemoryCredentialStore
from server.providers.google_meet import ConferencePolling, GoogleClient
from server.providers.transport import ProviderTransport, RetryPolicy
from server.providers.zoom import ZoomClient, encode_meeting_id, zoom_daily_limit
from tests.fakes.google import FakeGoogle, create_fake_google
from tests.fakes.zoom import FakeZoom, create_fake_zoom
from tests.support.servers import serve_asgi


class Clock:
    """A settable clock (epoch seconds) shared by a fake and the client under test."""

    def __init__(self, now: float = 1_767_600_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Sleeps:
    """An injected ``sleep`` that records waits instead of waiting."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class ZoomRig:
    fake: FakeZoom
    url: str
    client: ZoomClient
    store: InMemoryCredentialStore
    sleeps: Sleeps
    clock: Clock


async def cloud_recording(zoom: ZoomRig, org_id: str, meeting: str) -> dict[str, Any]:
    """The fake's ``GET /meetings/{id}/recordings`` as Zoom answers it (liveclass itself
    learns recordings from the ``recording.completed`` webhook, not by asking)."""
    token = await zoom.client.access_token(org_id)
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{zoom.url}/v2/meetings/{encode_meeting_id(meeting)}/recordings",
            headers={"Authorization": f"Bearer {token}"},
        )
    if response.status_code != 200:
        raise AssertionError(f"{response.status_code}: {response.text}")
    recording: dict[str, Any] = response.json()
    return recording


@dataclass
class GoogleRig:
    fake: FakeGoogle
    url: str
    client: GoogleClient
    store: InMemoryCredentialStore
    sleeps: Sleeps
    clock: Clock


def zoom_client(
    url: str,
    fake: FakeZoom,
    *,
    store: InMemoryCredentialStore,
    sleeps: Sleeps,
    clock: Clock,
    timeout: float = 5.0,
    policy: RetryPolicy | None = None,
) -> ZoomClient:
    transport = ProviderTransport(
        "zoom",
        timeout=timeout,
        policy=policy,
        final_rate_limit=zoom_daily_limit,
        sleep=sleeps,
        jitter=lambda: 0.5,
    )
    return ZoomClient(
        transport,
        api_base=f"{url}/v2",
        oauth_base=url,
        store=store,
        account_id=fake.account_id,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        clock=clock,
    )


@pytest.fixture
async def zoom() -> AsyncIterator[ZoomRig]:
    clock = Clock()
    fake = create_fake_zoom(clock=clock)
    store = InMemoryCredentialStore()
    sleeps = Sleeps()
    async with serve_asgi(fake.app, lifespan="off") as url:
        client = zoom_client(url, fake, store=store, sleeps=sleeps, clock=clock)
        yield ZoomRig(fake, url, client, store, sleeps, clock)
        await client.aclose()


@pytest.fixture
async def google() -> AsyncIterator[GoogleRig]:
    clock = Clock()
    fake = create_fake_google(clock=clock)
    store = InMemoryCredentialStore()
    sleeps = Sleeps()
    async with serve_asgi(fake.app, lifespan="off") as url:
        transport = ProviderTransport("google_meet", timeout=5.0, sleep=sleeps)
        client = GoogleClient(
            transport,
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            refresh_token=fake.add_refresh_token(),
            store=store,
            token_url=f"{url}/token",
            calendar_base=f"{url}/calendar/v3",
            meet_base=f"{url}/v2",
            polling=ConferencePolling(attempts=5, interval=0.5, max_wait=10.0),
            sleep=sleeps,
            clock=clock,
        )
        yield GoogleRig(fake, url, client, store, sleeps, clock)
        await client.aclose()
