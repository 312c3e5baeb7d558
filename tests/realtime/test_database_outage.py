"""Fault drill: PostgreSQL connections dropped mid-class, then the database refusing
connections for a while.

Clients get clear answers (HTTP 503 ``unavailable``, a socket ack saying the
database is unavailable, never an opaque internal error), stay connected, and
everything works again once the database does, without a restart.  Only the
test's own scratch database is touched.
"""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from server.db.database import Database
from tests.support.backends import PG_HOST, PG_USER, Backend
from tests.support.platform import Platform
from tests.support.servers import serve_app
from tests.support.sockets import Client, connected, live_class
from tests.support.waiting import wait_until

UNAVAILABLE_ACK = {
    "ok": False,
    "error": {"code": "internal", "message": "the database is unavailable"},
}


async def drop_connections(database: str, *, refuse_new: bool | None = None) -> int:
    """Terminate every session on ``database`` (ours only); optionally refuse new ones."""
    admin = await asyncpg.connect(host=PG_HOST, user=PG_USER, database="postgres")
    try:
        if refuse_new is not None:
            allow = "false" if refuse_new else "true"
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {allow}')
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return int(dropped)
    finally:
        await admin.close()


async def chat(client: Client, class_id: str) -> tuple[str, Any]:
    text = secrets.token_hex(4)
    return text, await client.call("chat:send", {"class_id": class_id, "text": text})


async def test_dropped_connections_give_clear_errors_and_recover_without_restart(
    backend: Backend,
) -> None:
    if backend.name != "postgres":
        pytest.skip("drops PostgreSQL sessions")
    async with backend.fresh() as own:
        database = own.database_url.rsplit("/", 1)[1]
        async with (
            serve_app(own.settings()) as live,
            Platform.create(live, org=f"org-{secrets.token_hex(4)}") as platform,
        ):
            class_id = await live_class(platform)
            path = f"/api/live-classes/{class_id}"
            async with connected(live.url, platform.mentor, platform.students[0]) as (
                host,
                pupil,
            ):
                await host.join(class_id)
                await pupil.join(class_id)

                # Sessions killed mid-class: the pool notices, nothing needs a restart.
                assert await drop_connections(database) > 0
                for _ in range(3):
                    _, ack = await chat(pupil, class_id)
                    assert ack["ok"] is True or ack == UNAVAILABLE_ACK, ack
                    got = await platform.call("GET", path, platform.mentor)
                    assert got.status_code in (200, 503), got.text
                    if got.status_code == 503:
                        assert got.json()["error"]["code"] == "unavailable"

                # The database refuses connections for a while.
                await drop_connections(database, refuse_new=True)
                try:
                    _, ack = await chat(pupil, class_id)
                    assert ack == UNAVAILABLE_ACK
                    got = await platform.call("GET", path, platform.mentor)
                    assert got.status_code == 503
                    assert got.json()["error"]["code"] == "unavailable"
                    ready = await platform.http.get("/readyz")
                    assert ready.status_code == 503
                    assert ready.json()["checks"]["database"].startswith("unavailable")
                finally:
                    await drop_connections(database, refuse_new=False)

                async def ready_again() -> bool:
                    return (await platform.http.get("/readyz")).status_code == 200

                await wait_until(ready_again, within=30, what="/readyz after the outage")
                text, ack = await chat(pupil, class_id)
                assert ack["ok"] is True, ack
                await host.wait_for("chat:message", lambda d: d["message"]["text"] == text)
                got = await platform.call("GET", path, platform.mentor)
                assert got.status_code == 200, got.text
                assert pupil.sio.connected and host.sio.connected


async def session_count(database: str) -> int:
    admin = await asyncpg.connect(host=PG_HOST, user=PG_USER, database="postgres")
    try:
        return int(
            await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            )
        )
    finally:
        await admin.close()


async def test_a_pooled_connection_the_server_closed_is_replaced_unseen(backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("drops PostgreSQL sessions")
    async with backend.fresh() as own:
        database = own.database_url.rsplit("/", 1)[1]
        db = Database(own.database_url, pool_size=1)
        try:
            async with db.read() as conn:
                first = await conn.scalar(text("SELECT pg_backend_pid()"))
            assert await drop_connections(database) == 1  # the pooled one, idle

            async def gone() -> bool:
                return await session_count(database) == 0

            await wait_until(gone, within=10, what="the terminated session gone")
            # No pre-ping round trip: the pool sees the closed connection itself and
            # hands out a new one; the caller gets an answer, not "unavailable".
            async with db.read() as conn:
                second = await conn.scalar(text("SELECT pg_backend_pid()"))
            async with db.write() as conn:
                assert await conn.scalar(text("SELECT pg_backend_pid()")) == second
            assert second != first
        finally:
            await db.dispose()
