"""Per user and class rate limits on what participants send (hosts are never limited).

Built on the ``limits`` package with a moving window: in memory for one
process, in Redis (``LIVECLASS_REDIS_URL``) so every process shares one
budget per user.  If Redis cannot be reached the check lets the action
through and logs it: a broker outage must not silence a classroom, and the
database still validates everything else.
"""

from __future__ import annotations

import enum
import logging

import limits
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..errors import RateLimited
from ..settings import Settings

__all__ = ["Limit", "RateLimiter"]

log = logging.getLogger("liveclass.ratelimit")


class Limit(enum.StrEnum):
    CHAT = "chat"
    QUESTIONS = "questions"
    REACTIONS = "reactions"


class RateLimiter:
    def __init__(self, settings: Settings, redis: Redis | None) -> None:
        """``redis``: the process's client; its connection pool is shared, not owned."""
        self._items = {
            Limit.CHAT: limits.parse(settings.rate_limit_chat),
            Limit.QUESTIONS: limits.parse(settings.rate_limit_questions),
            Limit.REACTIONS: limits.parse(settings.rate_limit_reactions),
        }
        storage: Storage = (
            RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=f"{settings.redis_prefix}:limits",
                connection_pool=redis.connection_pool,  # type: ignore[arg-type]
            )
            if redis is not None
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, limit: Limit, class_id: str, user_id: str) -> None:
        """Count one action; :class:`RateLimited` when over the budget."""
        item = self._items[limit]
        try:
            allowed = await self._limiter.hit(item, limit.value, class_id, user_id)
        except (RedisError, OSError) as exc:
            log.warning("rate limit storage unreachable, allowing %s: %s", limit.value, exc)
            return
        if not allowed:
            raise RateLimited(
                f"too many {limit.value}: at most {item.amount} in {item.get_expiry()} seconds",
                retry_after=float(item.get_expiry()),
            )
