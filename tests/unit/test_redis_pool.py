"""The Redis pool: a burst past its size waits for a connection instead of failing."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from server import redis_pool
from server.redis_pool import connect_redis
from tests.support.backends import Backend


def needs_redis(backend: Backend) -> None:
    if backend.redis_url is None:
        pytest.skip("needs Redis (the postgres backend)")


async def test_without_a_url_there_is_no_client(backend: Backend) -> None:
    assert connect_redis(backend.settings(redis_url=None)) is None


async def test_a_burst_past_the_pool_waits_its_turn(backend: Backend) -> None:
    needs_redis(backend)
    client = connect_redis(backend.settings(redis_pool_size=2))
    assert client is not None
    key = f"lctest-empty-{secrets.token_hex(4)}"
    try:
        began = time.monotonic()
        # Each BLPOP holds its connection for 0.2 s: eight on two connections take
        # four turns.  redis-py's default pool refused those past its size outright.
        answers = await asyncio.gather(*(client.blpop([key], timeout=0.2) for _ in range(8)))
        elapsed = time.monotonic() - began
    finally:
        await client.aclose()
    assert answers == [None] * 8
    assert elapsed >= 0.75, f"{elapsed:.2f} s: more than two ran at once"


async def test_a_command_that_finds_no_connection_in_time_fails_as_an_outage(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_redis(backend)
    monkeypatch.setattr(redis_pool, "WAIT_SECONDS", 0.1)
    client = connect_redis(backend.settings(redis_pool_size=2))
    assert client is not None
    key = f"lctest-empty-{secrets.token_hex(4)}"
    try:
        holders = asyncio.gather(*(client.blpop([key], timeout=1) for _ in range(2)))
        await asyncio.sleep(0.2)  # both connections taken
        with pytest.raises(RedisConnectionError):
            await client.ping()
        assert await holders == [None, None]
    finally:
        await client.aclose()
