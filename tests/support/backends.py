"""Storage backends for the suite: a temporary SQLite file, or PostgreSQL + Redis on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from server.migrate import upgrade_async
from server.settings import Settings

__all__ = [
    "Backend",
    "postgres_backend",
    "scratch_postgres_database",
    "selected_backends",
    "sqlite_backend",
]

PG_HOST = os.environ.get("LIVECLASS_TEST_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("LIVECLASS_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("LIVECLASS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
ZOOM_WEBHOOK_SECRET = "zoom-secret-token-for-tests"
OPERATOR_ORG = "operator"


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "redis_prefix": f"lctest-{secrets.token_hex(4)}",
            "jwt_secret": TEST_SECRET,
            "secret_key": "test-key-for-secrets-at-rest-0123456789",
            "zoom_webhook_secret": ZOOM_WEBHOOK_SECRET,
            "operator_org": OPERATOR_ORG,
            "webhook_poll_seconds": 0.05,
            "webhook_retry_base_seconds": 0.05,
            "webhook_max_attempts": 3,
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[Backend]:
        """The same kind of backend on a database of its own, migrated.

        Apps sharing a database share their webhook work (as real processes
        do); a test server that must not see another's events gets its own.
        """
        if self.name == "sqlite":
            folder = Path(self.database_url.removeprefix("sqlite+aiosqlite:///")).parent
            async with sqlite_backend(folder, name=f"{secrets.token_hex(4)}.db") as found:
                yield found
            return
        async with scratch_postgres_database("lc_test") as url:
            await upgrade_async(url)
            yield Backend(self.name, url, self.redis_url)


@asynccontextmanager
async def sqlite_backend(folder: Path, *, name: str = "liveclass.db") -> AsyncIterator[Backend]:
    url = f"sqlite+aiosqlite:///{folder / name}"
    await upgrade_async(url)
    yield Backend("sqlite", url, None)


def _missing(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({exc}); start it or set LIVECLASS_TEST_BACKENDS=sqlite"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs {message}", pytrace=False)
    pytest.skip(message)


@asynccontextmanager
async def scratch_postgres_database(prefix: str = "lc_scratch") -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database (its SQLAlchemy URL), dropped afterwards.

    Skips when PostgreSQL is unreachable, except under ``CI=true`` where it fails.
    """
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        admin = await asyncpg.connect(host=PG_HOST, user=PG_USER, database="postgres", timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        _missing(f"PostgreSQL at {PG_HOST}", exc)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def selected_backends() -> list[str]:
    """``LIVECLASS_TEST_BACKENDS`` (comma-separated; default ``sqlite,postgres``)."""
    chosen = os.environ.get("LIVECLASS_TEST_BACKENDS", "sqlite,postgres")
    return [name.strip() for name in chosen.split(",") if name.strip()]


@asynccontextmanager
async def postgres_backend() -> AsyncIterator[Backend]:
    """A migrated scratch database plus Redis (both required)."""
    try:
        client = aioredis.from_url(REDIS_URL)
        await client.ping()
        await client.aclose()
    except (OSError, aioredis.RedisError) as exc:
        _missing(f"Redis at {REDIS_URL}", exc)
    async with scratch_postgres_database("lc_test") as url:
        await upgrade_async(url)
        yield Backend("postgres", url, REDIS_URL)
