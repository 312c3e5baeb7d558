"""An app that may reach 127.0.0.1 (the test receiver), on a database of its own, with a
clock the tests move, so retries and the circuit run without real waiting."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio

from tests.support.backends import Backend
from tests.support.clock import FakeClock
from tests.support.platform import Platform
from tests.support.servers import LiveServer, serve_app
from tests.support.webhook_receiver import Receiver, running_receiver

RETRY_BASE = 1.0
CIRCUIT_FAILURES = 4
CIRCUIT_PAUSE = 300.0


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hooks_server(backend: Backend) -> AsyncIterator[LiveServer]:
    async with backend.fresh() as own:
        settings = own.settings(
            webhook_allow_private_targets=True,
            outbound_webhook_poll_seconds=0.05,
            outbound_webhook_timeout_seconds=1.0,
            outbound_webhook_retry_base_seconds=RETRY_BASE,
            outbound_webhook_retry_cap_seconds=600,
            outbound_webhook_circuit_failures=CIRCUIT_FAILURES,
            outbound_webhook_circuit_pause_seconds=CIRCUIT_PAUSE,
        )
        async with serve_app(settings) as live:
            live.state.ctx.clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
            yield live


@pytest_asyncio.fixture(loop_scope="session")
async def hooks_clock(hooks_server: LiveServer) -> FakeClock:
    clock = hooks_server.state.ctx.clock
    assert isinstance(clock, FakeClock)
    return clock


@pytest_asyncio.fixture(loop_scope="session")
async def world(hooks_server: LiveServer) -> AsyncIterator[Platform]:
    async with Platform.create(hooks_server, org=f"org-{secrets.token_hex(4)}") as platform:
        yield platform


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


async def register(world: Platform, receiver: Receiver, **fields: object) -> dict[str, object]:
    """Register ``receiver`` for the organization and tell it the secret."""
    response = await world.call(
        "POST",
        "/api/admin/webhook-endpoints",
        world.admin,
        json={"url": receiver.url, **fields},
    )
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()["data"]
    assert isinstance(data["secret"], str) and data["secret"].startswith("whsec_")
    receiver.secret = data["secret"]
    return data
