"""The process's Redis client: a bounded pool where a burst waits instead of failing.

redis-py's default pool (``Redis.from_url``) refuses a command outright with
"Too many connections" once 100 are in use (redis-py 8.2, the release
installed here; older releases set the limit at 2**31).  A join storm or a
busy class on two processes has more commands than that in flight at once:
presence, the broker and the rate limiter would each take the refusal for
an outage.  Here the pool is
``LIVECLASS_REDIS_POOL_SIZE`` connections (the broker's subscription holds
one) and a command past them waits up to ``WAIT_SECONDS`` for one to come
back; only then does it fail, as a ``redis.exceptions.ConnectionError``
like any other Redis outage.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from .settings import Settings

__all__ = ["WAIT_SECONDS", "connect_redis"]

WAIT_SECONDS = 10.0


def connect_redis(settings: Settings) -> aioredis.Redis | None:
    """The client for ``settings.redis_url`` (``None`` without one); connects lazily."""
    if settings.redis_url is None:
        return None
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_pool_size, timeout=WAIT_SECONDS
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes the pool
