"""Two app processes' worth of the real app wired to the fake Google, on a database of their own.

The fake records the HTTPS address the app watches with
(``https://liveclass.test/api/google/webhook``); tests deliver its
notifications to the first app's real URL instead.  The apps get a database of
their own so that the suite's other apps (whose Google is not configured)
never claim their jobs; both apps run a webhook worker and a channel renewer
on it, as two processes of one deployment would, and share one clock
(without Redis: nothing here goes through sockets).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from server.app import Runtime
from server.db import Database
from server.db.tables import google_channels, webhook_events
from server.migrate import upgrade_async
from tests.fakes.google import FakeGoogle, create_fake_google

from .backends import Backend, scratch_postgres_database
from .clock import FakeClock
from .platform import Platform
from .servers import LiveServer, serve_app, serve_asgi
from .waiting import wait_until

__all__ = ["GoogleWorld", "google_world"]

PUBLIC_URL = "https://liveclass.test"
FINISHED = ("done", "ignored", "failed", "rejected")


@dataclass
class GoogleWorld:
    fake: FakeGoogle
    servers: list[LiveServer]
    clock: FakeClock

    @property
    def server(self) -> LiveServer:
        return self.servers[0]

    @property
    def db(self) -> Database:
        db: Database = self.server.state.ctx.db
        return db

    def state(self, index: int = 0) -> Runtime:
        return self.servers[index].state

    @asynccontextmanager
    async def platform(self) -> AsyncIterator[Platform]:
        async with Platform.create(self.server, org=f"org-{secrets.token_hex(4)}") as world:
            yield world

    async def schedule_meet(self, platform: Platform, **fields: Any) -> dict[str, Any]:
        return await platform.schedule(provider="google_meet", **fields)

    async def push(
        self, http: httpx.AsyncClient, channel_id: str, state: str = "exists", **kwargs: Any
    ) -> httpx.Response:
        return await self.fake.push(
            channel_id, state, client=http, url=f"{self.server.url}/api/google/webhook", **kwargs
        )

    async def channels(self, org_id: str) -> list[dict[str, Any]]:
        query = (
            select(google_channels)
            .where(google_channels.c.org_id == org_id)
            .order_by(google_channels.c.created_at, google_channels.c.expiration)
        )
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def events(self, **where: Any) -> list[dict[str, Any]]:
        conditions = [getattr(webhook_events.c, name) == value for name, value in where.items()]
        query = select(webhook_events).where(*conditions).order_by(webhook_events.c.id)
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def wait_for(self, **where: Any) -> dict[str, Any]:
        """The one inbox row matching ``where`` (column values), once there is (10 s at most)."""
        rows: list[dict[str, Any]] = []

        async def one() -> bool:
            rows[:] = await self.events(**where)
            return len(rows) == 1

        await wait_until(one, within=10, what=f"one inbox row with {where}")
        return rows[0]

    async def settled(self, **where: Any) -> dict[str, Any]:
        """The one inbox row matching ``where`` once a worker finished with it (10 s at most)."""
        rows: list[dict[str, Any]] = []

        async def finished() -> bool:
            rows[:] = await self.events(**where)
            return len(rows) == 1 and rows[0]["status"] in FINISHED

        await wait_until(finished, within=10, what=f"the inbox row with {where} finished")
        return rows[0]

    async def open_channel(self, org_id: str) -> dict[str, Any]:
        """The organization's first ``channel.open`` job done, and the channel at the fake."""
        job = await self.settled(dedup_key=f"channel.open:{org_id}:first")
        assert job["status"] == "done", job
        (stored,) = await self.channels(org_id)
        return self.fake.channels[stored["channel_id"]]


@asynccontextmanager
async def _database(backend: Backend, folder: Path) -> AsyncIterator[str]:
    if backend.name == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'google.db'}"
        await upgrade_async(url)
        yield url
        return
    async with scratch_postgres_database("lc_google") as url:
        await upgrade_async(url)
        yield url


@asynccontextmanager
async def google_world(backend: Backend, folder: Path) -> AsyncIterator[GoogleWorld]:
    fake = create_fake_google()
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    async with AsyncExitStack() as stack:
        fake_url = await stack.enter_async_context(serve_asgi(fake.app, lifespan="off"))
        database_url = await stack.enter_async_context(_database(backend, folder))
        settings = backend.settings(
            database_url=database_url,
            # No Redis: these tests use no sockets, and python-socketio's Redis manager
            # leaves connections for the garbage collector (ResourceWarning) at shutdown.
            redis_url=None,
            google_client_id=fake.client_id,
            google_client_secret=fake.client_secret,
            google_refresh_token=fake.add_refresh_token(),
            google_token_url=f"{fake_url}/token",
            google_calendar_api_base=f"{fake_url}/calendar/v3",
            google_meet_api_base=f"{fake_url}/v2",
            public_url=PUBLIC_URL,
        )
        servers = [await stack.enter_async_context(serve_app(settings)) for _ in range(2)]
        for server in servers:
            server.state.ctx.clock = clock
        yield GoogleWorld(fake, servers, clock)
