"""Who is online in each class, across every process, and the attendance it implies.

Each process knows its own sockets (class -> user -> socket ids).  The first
socket of a user in a class on this process opens a ``presence`` attendance
interval keyed ``{process}:{user}``, the last one closes it; intervals from
several processes or devices overlap and the attendance report merges them.

With Redis, each process also keeps one hash per class
(``{prefix}:presence:{class}:{process}``: user id -> user JSON) and its
heartbeat in ``{prefix}:procs``; a reader unions the hashes of live
processes.  The heartbeat rewrites this process's entries (so they return
after a Redis restart) and the hashes expire ``ttl`` seconds after the last
one, so a crashed process's users vanish; the first survivor to notice a
dead process closes its open intervals at its last heartbeat.  Without
Redis the process's own view is the whole truth, and stale intervals of a
previous run are closed at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from ..db import Database
from ..errors import Unavailable
from ..schemas.common import UserRef
from ..services.attendance import close_intervals, close_presence, open_interval

__all__ = ["Presence"]

log = logging.getLogger("liveclass.presence")

SOURCE = "presence"


class Presence:
    def __init__(
        self,
        db: Database,
        process_id: str,
        *,
        redis: Redis | None,
        prefix: str,
        ttl: int,
    ) -> None:
        self._db = db
        self.process_id = process_id
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._sockets: dict[str, dict[str, set[str]]] = {}
        self._users: dict[tuple[str, str], UserRef] = {}
        self._joined: dict[str, set[tuple[str, str]]] = {}
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    # -- this process's sockets ---------------------------------------------------

    async def enter(self, class_id: str, user: UserRef, sid: str) -> bool:
        """Count a socket in; ``True`` when it is the user's first here (interval opened)."""
        key = (class_id, user.id)
        async with self._serialised(key):
            sids = self._sockets.setdefault(class_id, {}).setdefault(user.id, set())
            first = not sids
            sids.add(sid)
            self._users[key] = user
            self._joined.setdefault(sid, set()).add(key)
            if first:
                await self._opened(class_id, user)
        return first

    async def leave(self, class_id: str, user_id: str, sid: str) -> UserRef | None:
        """Count a socket out; the user when it was their last here (interval closed)."""
        key = (class_id, user_id)
        async with self._serialised(key):
            self._joined.get(sid, set()).discard(key)
            users = self._sockets.get(class_id, {})
            sids = users.get(user_id)
            if sids is None or sid not in sids:
                return None
            sids.discard(sid)
            if sids:
                return None
            del users[user_id]
            if not users:
                del self._sockets[class_id]
            user = self._users.pop(key)
            await self._closed(class_id, user_id)
        return user

    def classes_of(self, sid: str) -> list[tuple[str, str]]:
        """(class, user) pairs a socket joined; forgotten afterwards."""
        return list(self._joined.pop(sid, set()))

    def sids(self, class_id: str, user_id: str) -> list[str]:
        return list(self._sockets.get(class_id, {}).get(user_id, ()))

    @asynccontextmanager
    async def _serialised(self, key: tuple[str, str]) -> AsyncIterator[None]:
        """One enter/leave at a time per (class, user); the lock lives while it is used."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    # -- the shared view ----------------------------------------------------------------

    async def online(self, class_id: str) -> list[UserRef]:
        """Users online in the class on any live process, by name (local only if Redis fails)."""
        found = {
            user_id: self._users[(class_id, user_id)] for user_id in self._sockets.get(class_id, {})
        }
        if self._redis is not None:
            try:
                for user in await self._remote(class_id):
                    found.setdefault(user.id, user)
            except (RedisError, OSError) as exc:
                log.warning("presence: Redis unreachable, showing this process only: %s", exc)
        return sorted(found.values(), key=lambda u: (u.name.lower(), u.id))

    async def _remote(self, class_id: str) -> list[UserRef]:
        assert self._redis is not None
        alive = cast(
            list[bytes],
            await self._redis.zrangebyscore(self._procs, time.time() - self._ttl, "+inf"),
        )
        pipe = self._redis.pipeline(transaction=False)
        for process in alive:
            pipe.hvals(self._key(class_id, process.decode()))
        users: list[UserRef] = []
        for values in await pipe.execute():
            users.extend(UserRef.model_validate_json(value) for value in values)
        return users

    async def heartbeat(self) -> None:
        """Redis only: mark this process alive and rewrite its entries; raises RedisError."""
        assert self._redis is not None
        pipe = self._redis.pipeline(transaction=False)
        pipe.zadd(self._procs, {self.process_id: time.time()})
        for class_id, users in self._sockets.items():
            key = self._key(class_id, self.process_id)
            pipe.hset(
                key,
                mapping={
                    user_id: self._users[(class_id, user_id)].model_dump_json() for user_id in users
                },
            )
            pipe.expire(key, self._ttl)
        await pipe.execute()

    async def sweep(self) -> None:
        """Redis only: close the attendance of processes whose heartbeat stopped."""
        assert self._redis is not None
        dead = cast(
            list[tuple[bytes, float]],
            await self._redis.zrangebyscore(
                self._procs, "-inf", time.time() - self._ttl, withscores=True
            ),
        )
        for process, last_seen in dead:
            if await self._redis.zrem(self._procs, process):  # one survivor wins each
                at = datetime.fromtimestamp(last_seen, UTC)
                async with self._db.write() as conn:
                    closed = await close_presence(conn, key_prefix=f"{process.decode()}:", at=at)
                log.warning("process %s stopped; closed %d presence intervals", process, closed)

    async def start(self) -> None:
        """Without Redis nothing of a previous run is still online: close its intervals.

        ``liveclass serve`` calls this only once it holds its port, so a second
        server that cannot start never closes the intervals of the one running.
        A database that is down or not migrated at start does not stop the
        process (``/readyz`` reports it); those intervals then stay open until
        the class ends.
        """
        if self._redis is None:
            try:
                async with self._db.write() as conn:
                    await close_presence(conn, key_prefix="", at=datetime.now(UTC))
            except (Unavailable, DBAPIError) as exc:
                log.warning("presence: stale intervals kept, the database failed at start: %s", exc)

    async def stop(self) -> None:
        """Shutting down cleanly: everyone here leaves."""
        now = datetime.now(UTC)
        try:
            async with self._db.write() as conn:
                await close_presence(conn, key_prefix=f"{self.process_id}:", at=now)
        except (Unavailable, DBAPIError) as exc:
            log.warning("presence: intervals left open, the database failed at stop: %s", exc)
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline(transaction=False)
                for class_id in self._sockets:
                    pipe.delete(self._key(class_id, self.process_id))
                pipe.zrem(self._procs, self.process_id)
                await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("presence: could not clear Redis entries at stop: %s", exc)
        self._sockets.clear()
        self._users.clear()

    # -- storage ---------------------------------------------------------------------------

    async def _opened(self, class_id: str, user: UserRef) -> None:
        async with self._db.write() as conn:
            await open_interval(
                conn,
                class_id,
                user_id=user.id,
                source=SOURCE,
                at=datetime.now(UTC),
                source_key=self._source_key(user.id),
            )
        if self._redis is not None:
            try:
                key = self._key(class_id, self.process_id)
                pipe = self._redis.pipeline(transaction=False)
                pipe.hset(key, user.id, user.model_dump_json())
                pipe.expire(key, self._ttl)
                await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("presence: Redis unreachable (heartbeat will repair): %s", exc)

    async def _closed(self, class_id: str, user_id: str) -> None:
        async with self._db.write() as conn:
            await close_intervals(
                conn,
                class_id,
                at=datetime.now(UTC),
                user_id=user_id,
                source=SOURCE,
                source_key=self._source_key(user_id),
            )
        if self._redis is not None:
            try:
                await self._redis.hdel(self._key(class_id, self.process_id), user_id)
            except (RedisError, OSError) as exc:
                log.warning("presence: Redis unreachable (entry expires by itself): %s", exc)

    def _source_key(self, user_id: str) -> str:
        return f"{self.process_id}:{user_id}"

    @property
    def _procs(self) -> str:
        return f"{self._prefix}:procs"

    def _key(self, class_id: str, process_id: str) -> str:
        return f"{self._prefix}:presence:{class_id}:{process_id}"
