"""Who is online in each class, across every process, and the attendance it implies.

Each process knows its own sockets (class -> user -> socket ids).  The first
socket of a user in a class on this process opens a ``presence`` attendance
interval keyed ``{process}:{user}``, the last one closes it (those opening
or closing meanwhile, as in a join storm, are written in one transaction);
intervals from several processes or devices overlap and the attendance
report merges them.

A user is *online* in a class while at least one socket of theirs, on any
process, is in it.  Every change of that (a user coming online or going
offline, wherever it is noticed) goes to the listener set with
:meth:`Presence.on_change`: the hub batches them into ``presence:update``.

Without Redis the process's own view is the whole truth, and stale intervals
of a previous run are closed at start.  With Redis (``P`` the prefix, ``C`` a
class, ``X`` a process) the shared view is, per class:

- ``P:presence:C:X`` (hash, user -> user JSON): the users process X holds;
- ``P:online:C`` (hash, user -> number of processes holding the user);
- ``P:names:C`` (sorted set, all scores 0): one member per online user,
  ``name_key \\0 user JSON``, so members sort by name and a page of them
  costs O(log N + page);
- ``P:member:C`` (hash, user -> that member), to remove it again;

plus ``P:classes:X`` (set of classes X holds users in) and the heartbeats in
``P:procs``.  Entering and leaving are one Lua script each, so the count
(``ZCARD P:names:C``) is exact at every moment and a user is reported online
(or offline) exactly once, by the process whose change made it so, whatever
the number of processes and devices.  A process whose heartbeat stopped for
``ttl`` seconds is swept by the first survivor to notice: its users leave
through the same script (reported as ``left`` by the survivor), its keys go,
and its open intervals close at its last heartbeat.  A process that finds
its heartbeat entry missing (Redis lost its data, or it was swept while
stalled), or that failed to write to Redis, reconciles its entries with its
own sockets at the next heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from ..clock import Clock, utcnow
from ..db import Database
from ..db.group_commit import GroupCommit
from ..errors import Unavailable
from ..schemas.common import UserRef
from ..services.attendance import Opening, close_intervals, close_presence, open_intervals
from .roster import Roster, name_key

__all__ = ["Presence", "PresenceListener", "net_changes"]

log = logging.getLogger("liveclass.presence")

SOURCE = "presence"
LEAK_GUARD_SECONDS = 24 * 3600  # keys of a deployment whose processes all vanished

PresenceListener = Callable[[str, bool, UserRef], None]
"""``(class_id, online, user)``: the user came online (``True``) or went offline."""

# KEYS: process hash, online counts, names, members, process's classes.
# ARGV: class id, user id, user JSON, names member.  Returns 1 when the user came online.
_ENTER = """
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('SADD', KEYS[5], ARGV[1])
if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) ~= 1 then return 0 end
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
return 1
"""

# Same KEYS; ARGV: class id, user ids.  Returns the JSON of users who went offline.
_LEAVE = """
local gone = {}
for i = 2, #ARGV do
  local user = ARGV[i]
  local entry = redis.call('HGET', KEYS[1], user)
  if entry then
    redis.call('HDEL', KEYS[1], user)
    if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
      redis.call('HDEL', KEYS[2], user)
      local member = redis.call('HGET', KEYS[4], user)
      if member then
        redis.call('ZREM', KEYS[3], member)
        redis.call('HDEL', KEYS[4], user)
      end
      table.insert(gone, entry)
    end
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[5], ARGV[1]) end
return gone
"""


@dataclass(frozen=True, slots=True)
class _Change:
    """A user's presence attendance interval in a class opens or closes ``at``."""

    class_id: str
    user_id: str
    at: datetime
    opens: bool


def net_changes(changes: list[tuple[bool, UserRef]]) -> tuple[list[UserRef], list[UserRef]]:
    """(joined, left) between two updates: a user who came and went (or went and came
    back) in between changed nothing; order is the order of their last change."""
    first: dict[str, bool] = {}
    last: dict[str, tuple[bool, UserRef]] = {}
    for online, user in changes:
        first.setdefault(user.id, online)
        last.pop(user.id, None)
        last[user.id] = (online, user)
    joined = [u for uid, (on, u) in last.items() if on and first[uid]]
    left = [u for uid, (on, u) in last.items() if not on and not first[uid]]
    return joined, left


class Presence:
    def __init__(
        self,
        db: Database,
        process_id: str,
        *,
        redis: Redis | None,
        prefix: str,
        ttl: int,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._clock = clock
        self.process_id = process_id
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._sockets: dict[str, dict[str, set[str]]] = {}
        self._here: dict[str, Roster] = {}
        self._joined: dict[str, set[tuple[str, str]]] = {}
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._listener: PresenceListener | None = None
        self._unsynced = False  # a Redis write failed: the next heartbeat reconciles
        self._intervals: GroupCommit[_Change, None] = GroupCommit(self._store)
        if redis is not None:
            self._enter_script = redis.register_script(_ENTER)
            self._leave_script = redis.register_script(_LEAVE)

    def on_change(self, listener: PresenceListener) -> None:
        self._listener = listener

    @property
    def shared(self) -> bool:
        """Whether other processes share the view (through Redis)."""
        return self._redis is not None

    # -- this process's sockets ---------------------------------------------------

    async def enter(self, class_id: str, user: UserRef, sid: str) -> None:
        """Count a socket in; the user's first here opens their interval."""
        key = (class_id, user.id)
        async with self._serialised(key):
            sids = self._sockets.setdefault(class_id, {}).setdefault(user.id, set())
            first = not sids
            sids.add(sid)
            self._joined.setdefault(sid, set()).add(key)
            if first:
                self._here.setdefault(class_id, Roster()).add(user)
                await self._opened(class_id, user)
                if await self._shared_enter(class_id, user):
                    self._notify(class_id, True, user)

    async def leave(self, class_id: str, user_id: str, sid: str) -> None:
        """Count a socket out; the user's last here closes their interval."""
        key = (class_id, user_id)
        async with self._serialised(key):
            self._joined.get(sid, set()).discard(key)
            users = self._sockets.get(class_id, {})
            sids = users.get(user_id)
            if sids is None or sid not in sids:
                return
            sids.discard(sid)
            if sids:
                return
            del users[user_id]
            roster = self._here[class_id]
            user = roster.remove(user_id)
            if not users:
                del self._sockets[class_id]
                del self._here[class_id]
            await self._closed(class_id, user_id)
            if user is not None and await self._shared_leave(class_id, user_id):
                self._notify(class_id, False, user)

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

    def _notify(self, class_id: str, online: bool, user: UserRef) -> None:
        if self._listener is not None:
            self._listener(class_id, online, user)

    # -- the shared view ----------------------------------------------------------------

    async def count(self, class_id: str) -> int:
        """Users online in the class on any live process (this process's if Redis fails)."""
        if self._redis is not None:
            try:
                return int(await self._redis.zcard(self._names(class_id)))
            except (RedisError, OSError) as exc:
                log.warning("presence: Redis unreachable, counting this process only: %s", exc)
        return len(self._here.get(class_id, ()))

    async def page(self, class_id: str, offset: int, limit: int) -> tuple[int, list[UserRef]]:
        """(count, ``limit`` online users by name from ``offset``), in O(log N + limit)."""
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline(transaction=True)
                pipe.zcard(self._names(class_id))
                pipe.zrange(self._names(class_id), offset, offset + limit - 1)
                count, members = await pipe.execute()
                # JSON escapes NUL, so the user is what follows the last one.
                users = [
                    UserRef.model_validate_json(member.rsplit(b"\x00", 1)[1]) for member in members
                ]
                return int(count), users
            except (RedisError, OSError) as exc:
                log.warning("presence: Redis unreachable, listing this process only: %s", exc)
        roster = self._here.get(class_id, Roster())
        return len(roster), roster.page(offset, limit)

    async def _shared_enter(self, class_id: str, user: UserRef) -> bool:
        """Record the user in Redis; ``True`` when that made them online (always without it)."""
        if self._redis is None:
            return True
        try:
            return bool(await self._enter_script(*self._enter_args(class_id, user)))
        except (RedisError, OSError) as exc:
            log.warning("presence: Redis unreachable (heartbeat will repair): %s", exc)
            self._unsynced = True
            return True

    async def _shared_leave(self, class_id: str, user_id: str) -> bool:
        """Drop the user from Redis; ``True`` when that made them offline (always without it)."""
        if self._redis is None:
            return True
        try:
            return bool(await self._leave_users(class_id, self.process_id, [user_id]))
        except (RedisError, OSError) as exc:
            log.warning("presence: Redis unreachable (heartbeat will repair): %s", exc)
            self._unsynced = True
            return True

    def _enter_args(self, class_id: str, user: UserRef) -> tuple[list[str], list[str]]:
        json = user.model_dump_json()
        member = f"{name_key(user)}\x00{json}"
        return self._class_keys(class_id, self.process_id), [class_id, user.id, json, member]

    async def _leave_users(self, class_id: str, process: str, user_ids: list[str]) -> list[UserRef]:
        """Take users of ``process`` out of the class in Redis; those who went offline."""
        gone = cast(
            list[bytes],
            await self._leave_script(
                keys=self._class_keys(class_id, process), args=[class_id, *user_ids]
            ),
        )
        return [UserRef.model_validate_json(entry) for entry in gone]

    async def heartbeat(self) -> None:
        """Redis only: mark this process alive; reconcile when Redis lost or missed our entries.

        Raises RedisError when Redis is unreachable.
        """
        assert self._redis is not None
        pipe = self._redis.pipeline(transaction=False)
        # Liveness between processes is real seconds (Redis expiry is too), not the
        # clock a test steers: moving that forward must not make live processes look dead.
        pipe.zadd(self._procs, {self.process_id: time.time()})
        pipe.expire(self._procs, LEAK_GUARD_SECONDS)
        pipe.expire(self._classes(self.process_id), LEAK_GUARD_SECONDS)
        for class_id in self._here:
            for key in self._class_keys(class_id, self.process_id)[:4]:
                pipe.expire(key, LEAK_GUARD_SECONDS)
        added, *_ = await pipe.execute()
        if added or self._unsynced:
            self._unsynced = False
            try:
                await self._reconcile()
            except BaseException:
                self._unsynced = True
                raise

    async def _reconcile(self) -> None:
        """Make this process's Redis entries exactly its sockets' users, reporting changes."""
        assert self._redis is not None
        stored = _texts(await self._redis.smembers(self._classes(self.process_id)))
        for class_id in stored | set(self._here):
            roster = self._here.get(class_id, Roster())
            held = _texts(await self._redis.hkeys(self._held(class_id, self.process_id)))
            for user_id in set(roster.ids()) - held:
                user = roster.get(user_id)
                assert user is not None
                if await self._enter_script(*self._enter_args(class_id, user)):
                    self._notify(class_id, True, user)
            extra = sorted(held - set(roster.ids()))
            if extra:
                for user in await self._leave_users(class_id, self.process_id, extra):
                    self._notify(class_id, False, user)

    async def sweep(self) -> None:
        """Redis only: the users and attendance of processes whose heartbeat stopped go."""
        assert self._redis is not None
        dead = cast(
            list[tuple[bytes, float]],
            await self._redis.zrangebyscore(
                self._procs, "-inf", time.time() - self._ttl, withscores=True
            ),
        )
        for name, last_seen in dead:
            if not await self._redis.zrem(self._procs, name):
                continue  # another survivor won this one
            process = name.decode()
            for class_id in _texts(await self._redis.smembers(self._classes(process))):
                held = _texts(await self._redis.hkeys(self._held(class_id, process)))
                if held:
                    for user in await self._leave_users(class_id, process, sorted(held)):
                        self._notify(class_id, False, user)
            await self._redis.delete(self._classes(process))
            at = datetime.fromtimestamp(last_seen, UTC)
            async with self._db.write() as conn:
                closed = await close_presence(conn, key_prefix=f"{process}:", at=at)
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
                    await close_presence(conn, key_prefix="", at=self._clock())
            except (Unavailable, DBAPIError) as exc:
                log.warning("presence: stale intervals kept, the database failed at start: %s", exc)

    async def stop(self) -> None:
        """Shutting down cleanly: everyone here leaves (sockets closed before this report it)."""
        now = self._clock()
        try:
            async with self._db.write() as conn:
                await close_presence(conn, key_prefix=f"{self.process_id}:", at=now)
        except (Unavailable, DBAPIError) as exc:
            log.warning("presence: intervals left open, the database failed at stop: %s", exc)
        if self._redis is not None:
            try:
                for class_id, roster in self._here.items():
                    await self._leave_users(class_id, self.process_id, roster.ids())
                await self._redis.zrem(self._procs, self.process_id)
            except (RedisError, OSError) as exc:
                log.warning("presence: could not clear Redis entries at stop: %s", exc)
        self._sockets.clear()
        self._here.clear()

    # -- storage ---------------------------------------------------------------------------

    async def _opened(self, class_id: str, user: UserRef) -> None:
        await self._intervals.submit(_Change(class_id, user.id, self._clock(), opens=True))

    async def _closed(self, class_id: str, user_id: str) -> None:
        await self._intervals.submit(_Change(class_id, user_id, self._clock(), opens=False))

    async def _store(self, changes: list[_Change]) -> list[None]:
        """Attendance intervals opened and closed together (a join storm) in one transaction:
        in order, each run of openings in one go."""
        async with self._db.write() as conn:
            for opens, run in groupby(changes, key=lambda change: change.opens):
                if opens:
                    key = self._source_key
                    openings = [
                        Opening(c.class_id, c.user_id, SOURCE, c.at, key(c.user_id)) for c in run
                    ]
                    await open_intervals(conn, openings)
                    continue
                for change in run:
                    await close_intervals(
                        conn,
                        change.class_id,
                        at=change.at,
                        user_id=change.user_id,
                        source=SOURCE,
                        source_key=self._source_key(change.user_id),
                    )
        return [None] * len(changes)

    def _source_key(self, user_id: str) -> str:
        return f"{self.process_id}:{user_id}"

    @property
    def _procs(self) -> str:
        return f"{self._prefix}:procs"

    def _held(self, class_id: str, process_id: str) -> str:
        return f"{self._prefix}:presence:{class_id}:{process_id}"

    def _names(self, class_id: str) -> str:
        return f"{self._prefix}:names:{class_id}"

    def _classes(self, process_id: str) -> str:
        return f"{self._prefix}:classes:{process_id}"

    def _class_keys(self, class_id: str, process_id: str) -> list[str]:
        """The KEYS of both scripts, in their order."""
        return [
            self._held(class_id, process_id),
            f"{self._prefix}:online:{class_id}",
            self._names(class_id),
            f"{self._prefix}:member:{class_id}",
            self._classes(process_id),
        ]


def _texts(values: Iterable[bytes | str]) -> set[str]:
    """Redis answers as text (the client does not decode responses)."""
    return {v.decode() if isinstance(v, bytes) else v for v in values}
