"""The real app on a real port, once per storage backend.

Backends: ``sqlite`` (a temporary file, no Redis) and ``postgres`` (a fresh
database on 127.0.0.1 plus Redis).  ``LIVECLASS_TEST_BACKENDS`` picks them
(default both).  Without PostgreSQL or Redis the postgres half is skipped with
a message, except under ``CI=true`` where it fails: CI must test both.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from server.app import default_providers
from tests.support.backends import Backend, postgres_backend, sqlite_backend
from tests.support.clock import FakeClock
from tests.support.platform import Platform
from tests.support.provider_fakes import ProviderWorld, provider_world
from tests.support.providers import ScriptedProvider
from tests.support.servers import LiveServer, serve_app

BACKENDS = [
    name.strip()
    for name in os.environ.get("LIVECLASS_TEST_BACKENDS", "sqlite,postgres").split(",")
    if name.strip()
]


@pytest_asyncio.fixture(scope="session", params=BACKENDS, loop_scope="session")
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        async with sqlite_backend(tmp_path_factory.mktemp("sqlite")) as found:
            yield found
    else:
        async with postgres_backend() as found:
            yield found


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def server(backend: Backend) -> AsyncIterator[LiveServer]:
    async with serve_app(backend.settings()) as live:
        yield live


@pytest.fixture
async def platform(server: LiveServer) -> AsyncIterator[Platform]:
    """A fresh organization with a course, its mentor and two enrolled students."""
    async with Platform.create(server, org=f"org-{secrets.token_hex(4)}") as world:
        yield world


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def scripted_provider() -> ScriptedProvider:
    return ScriptedProvider()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def scripted_server(
    backend: Backend, scripted_provider: ScriptedProvider
) -> AsyncIterator[LiveServer]:
    """The app with a scriptable provider registered as ``zoom``, on a database of its own."""
    async with backend.fresh() as own:
        settings = own.settings()
        providers = {**default_providers(settings), "zoom": scripted_provider}
        async with serve_app(settings, providers=providers) as live:
            yield live


@pytest.fixture
async def scripted_platform(scripted_server: LiveServer) -> AsyncIterator[Platform]:
    async with Platform.create(scripted_server, org=f"org-{secrets.token_hex(4)}") as world:
        yield world


@pytest.fixture
def clock(server: LiveServer) -> Iterator[FakeClock]:
    """Freeze and steer the server's clock for the duration of one test."""
    ctx = server.state.ctx
    fake = FakeClock(datetime.now(UTC).replace(microsecond=0))
    original = ctx.clock
    ctx.clock = fake
    yield fake
    ctx.clock = original


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def providers(backend: Backend) -> AsyncIterator[ProviderWorld]:
    """The app using the fake Zoom and Google (OAuth apps configured, no accounts)."""
    async with backend.fresh() as own, provider_world(own) as world:
        yield world


@pytest.fixture
async def provider_platform(providers: ProviderWorld) -> AsyncIterator[Platform]:
    async with Platform.create(providers.server, org=f"org-{secrets.token_hex(4)}") as world:
        yield world
