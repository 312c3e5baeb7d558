"""This process's link to Redis: health, self-repair, per-class broadcast channels, control.

- Broadcasts: each class has its own channel (``{prefix}:class:{id}``) and a
  process subscribes only to the classes it has sockets in (on the first
  local member, unsubscribed after the last), so a process reads only the
  traffic it delivers.  A message carries the room and the Socket.IO packet
  already encoded; the receiver hands it to :class:`.fastpath.Fanout` (one
  frame for all its sockets).  A process delivers its own broadcasts locally
  first and skips them when Redis echoes them back.  One publisher task
  sends them in emit order, pipelined; while Redis is down they are dropped
  (logged) and clients of other processes recover with ``class:resync``.
- A heartbeat every ``ttl / 3`` seconds pings Redis, sets ``metrics.broker_up``,
  refreshes presence, sweeps dead processes and restarts the listener if it
  ever ended, or when Redis answers but a probe does not come back through
  it (after a Redis restart it would otherwise sleep out its backoff).  Redis
  being down is logged once per outage; every process keeps serving its own
  clients meanwhile.
- Ready means ready (:meth:`ready`, behind ``/readyz``): Redis answers, and a
  probe published on the control channel came back through this process's
  subscriber, the one connection that also carries every class channel it
  subscribes to, so other processes' broadcasts reach this one's clients.
- ``send`` carries control messages (participant removal) to every process,
  this one included; without Redis, or while it is down, they are handled
  locally only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from ..errors import Unavailable
from ..metrics import Metrics
from .presence import Presence

__all__ = ["Broker"]

log = logging.getLogger("liveclass.broker")

Handler = Callable[[dict[str, Any]], Awaitable[None]]
Deliver = Callable[[str, str], Awaitable[None]]

OUTBOX_LIMIT = 10_000
BATCH = 256
PROBE_SECONDS = 2.0
STOP_SECONDS = 5.0


class Broker:
    def __init__(
        self,
        metrics: Metrics,
        presence: Presence,
        *,
        redis: Redis | None,
        prefix: str,
        interval: float,
    ) -> None:
        self._metrics = metrics
        self._presence = presence
        self._redis = redis
        self._channel = f"{prefix}:control"
        self._class_prefix = f"{prefix}:class:"
        self._origin = secrets.token_hex(8)
        self._interval = interval
        self._handler: Handler | None = None
        self._deliver_broadcast: Deliver | None = None
        self._members: dict[str, set[str]] = {}
        self._classes_of: dict[str, set[str]] = {}
        self._pubsub: PubSub | None = None
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(OUTBOX_LIMIT)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._probes: dict[str, asyncio.Future[None]] = {}
        self._retry_now = asyncio.Event()
        self._stopping = False
        self.up = True

    def on_message(self, handler: Handler) -> None:
        """Where control messages go."""
        self._handler = handler

    def on_broadcast(self, deliver: Deliver) -> None:
        """Where broadcasts of other processes go: ``deliver(room, encoded_packet)``."""
        self._deliver_broadcast = deliver

    async def start(self) -> None:
        await self._presence.start()
        if self._redis is not None:
            for name in ("heartbeat", "listen", "publish"):
                self._start(name)

    def _start(self, name: str) -> None:
        loop = {
            "heartbeat": self._heartbeat_loop,
            "listen": self._listen_loop,
            "publish": self._publish_loop,
        }[name]
        self._tasks[name] = asyncio.create_task(loop())

    async def stop(self) -> None:
        self._stopping = True  # a heartbeat under way restarts nothing from now on
        for task in self._tasks.values():
            task.cancel()
        # A task cancelled while redis-py closes a dead connection can take long to end:
        # shutdown waits a bounded time for it, then goes on.
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks.values(), timeout=STOP_SECONDS)
            for task in stuck:
                log.warning("broker: the %s task did not stop in time", task.get_name())
        await self._presence.stop()
        if self._redis is not None:
            with contextlib.suppress(TimeoutError, RedisError, OSError):
                await asyncio.wait_for(self._redis.aclose(), STOP_SECONDS)

    async def ping(self) -> None:
        """Readiness probe: raises when Redis does not answer."""
        if self._redis is not None:
            try:
                await asyncio.wait_for(self._redis.ping(), timeout=2)
            except RedisError as exc:
                raise ConnectionError(str(exc)) from exc

    async def ready(self) -> None:
        """Readiness probe: Redis answers and a message makes the round trip through this
        process's subscriber.  Raises :class:`~server.errors.Unavailable` saying which fails."""
        if self._redis is None:
            return
        await self.ping()
        if not await self._round_trip():
            raise Unavailable(
                f"fan-out: a probe sent through Redis did not come back within "
                f"{PROBE_SECONDS:g} s (the subscriber is reconnecting)"
            )

    async def _round_trip(self) -> bool:
        assert self._redis is not None
        nonce = secrets.token_hex(8)
        arrived = self._probes[nonce] = asyncio.get_running_loop().create_future()
        try:
            await self._redis.publish(self._channel, json.dumps({"probe": nonce}))
            await asyncio.wait_for(arrived, PROBE_SECONDS)
            return True
        except (TimeoutError, RedisError, OSError):
            return False
        finally:
            self._probes.pop(nonce, None)

    # -- class channels -------------------------------------------------------------

    def classes(self) -> set[str]:
        """The classes this process has sockets in (the class channels it subscribes to)."""
        return set(self._members)

    async def joined(self, class_id: str, sid: str) -> None:
        """A local socket joined a class: subscribe to its channel if it is the first."""
        self._classes_of.setdefault(sid, set()).add(class_id)
        members = self._members.setdefault(class_id, set())
        first = not members
        members.add(sid)
        if first:
            await self._subscription("subscribe", class_id)

    async def left(self, class_id: str, sid: str) -> None:
        """A local socket left a class: unsubscribe from its channel if it was the last."""
        classes = self._classes_of.get(sid)
        if classes is not None:
            classes.discard(class_id)
            if not classes:
                del self._classes_of[sid]
        members = self._members.get(class_id)
        if members is None or sid not in members:
            return
        members.discard(sid)
        if not members:
            del self._members[class_id]
            await self._subscription("unsubscribe", class_id)

    async def gone(self, sid: str) -> None:
        """A local socket disconnected: it leaves every class."""
        for class_id in list(self._classes_of.get(sid, ())):
            await self.left(class_id, sid)

    async def _subscription(self, op: str, class_id: str) -> None:
        # Without a live pub/sub connection the listener subscribes to every
        # class of ``_members`` when it connects.
        pubsub = self._pubsub
        if pubsub is None:
            return
        try:
            await getattr(pubsub, op)(self._class_prefix + class_id)
        except (RedisError, OSError) as exc:
            log.warning("broker: cannot %s class %s: %s", op, class_id, exc)

    def publish(self, class_id: str, room: str, encoded: str) -> None:
        """Send a broadcast (already delivered locally) to the other processes, in order."""
        if self._redis is None:
            return
        message = f"{self._origin}\n{room}\n{encoded}"
        try:
            self._outbox.put_nowait((self._class_prefix + class_id, message))
        except asyncio.QueueFull:
            log.warning("broker: publish backlog full; dropping a broadcast to %s", room)

    async def _publish_loop(self) -> None:
        assert self._redis is not None
        while True:
            batch = [await self._outbox.get()]
            while len(batch) < BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, message in batch:
                        pipe.publish(channel, message)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("broker: %d broadcasts not published: %s", len(batch), exc)

    async def _on_broadcast(self, data: bytes) -> None:
        try:
            origin, room, encoded = data.decode().split("\n", 2)
        except ValueError:
            log.warning("broker: not a broadcast on a class channel: %r", data[:100])
            return
        if origin == self._origin or self._deliver_broadcast is None:
            return
        try:
            await self._deliver_broadcast(room, encoded)
        except Exception:
            log.exception("broker: broadcast to %s failed", room)

    # -- control channel --------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        if self._redis is not None:
            try:
                await self._redis.publish(self._channel, json.dumps(message))
                return
            except (RedisError, OSError) as exc:
                log.warning("broker: cannot publish, handling locally only: %s", exc)
        await self._deliver(message)

    async def _deliver(self, message: dict[str, Any]) -> None:
        if self._handler is None:
            return
        try:
            await self._handler(message)
        except Exception:
            log.exception("broker: control message failed: %s", message)

    async def _on_control(self, message: dict[str, Any]) -> None:
        if "probe" not in message:
            await self._deliver(message)
            return
        probe = self._probes.get(message["probe"])
        if probe is not None and not probe.done():
            probe.set_result(None)

    async def _listen_loop(self) -> None:
        assert self._redis is not None
        delay = 0.5
        control = self._channel.encode()
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    channels = {self._class_prefix + c for c in self._members}
                    await pubsub.subscribe(self._channel, *channels)
                    self._pubsub = pubsub
                    # Joins and leaves while that subscribe was in flight:
                    wanted = {self._class_prefix + c for c in self._members}
                    if wanted - channels:
                        await pubsub.subscribe(*(wanted - channels))
                    if channels - wanted:
                        await pubsub.unsubscribe(*(channels - wanted))
                    delay = 0.5
                    async for item in pubsub.listen():
                        if item.get("type") != "message":
                            continue
                        if item["channel"] == control:
                            await self._on_control(json.loads(item["data"]))
                        else:
                            await self._on_broadcast(item["data"])
            except (RedisError, OSError) as exc:
                log.warning("broker: pub/sub lost, retrying in %.1fs: %s", delay, exc)
            finally:
                self._pubsub = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._retry_now.wait(), delay)
            self._retry_now.clear()
            delay = min(delay * 2, 10.0)

    # -- heartbeat --------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        while True:
            await self.beat()
            await asyncio.sleep(self._interval)

    async def beat(self) -> None:
        """One heartbeat: health, presence refresh, dead-process sweep, listener guard."""
        try:
            await self.ping()
            await self._presence.heartbeat()
            await self._presence.sweep()
        except (RedisError, OSError) as exc:
            if self.up:
                log.error("broker: Redis unreachable; serving local clients only: %s", exc)
            self._set_up(False)
        else:
            if not self.up:
                log.warning("broker: Redis reachable again")
            self._set_up(True)
        for name in ("listen", "publish"):
            task = self._tasks.get(name)
            if task is not None and task.done() and not self._stopping:
                error = None if task.cancelled() else task.exception()
                log.error("broker: the %s task ended (%r); restarting it", name, error)
                self._start(name)
        if self._redis is not None and self.up and not await self._round_trip():
            # Redis answers again but the listener still sleeps out its backoff.
            log.warning("broker: probe lost while Redis answers; the listener retries now")
            self._retry_now.set()

    def _set_up(self, up: bool) -> None:
        self.up = up
        self._metrics.broker_up.set(1 if up else 0)
