"""This process's link to Redis: health, self-repair, and a control channel between processes.

- A heartbeat every ``ttl / 3`` seconds pings Redis, sets ``metrics.broker_up``,
  refreshes presence and sweeps dead processes.  Redis being down is logged
  once per outage; every process keeps serving its own clients meanwhile
  (python-socketio emits locally first, then publishes) and events of other
  processes missed meanwhile are recovered by clients with ``class:resync``.
- python-socketio's Redis listener task can end silently (python-socketio
  #1581), and after a Redis restart it waits out its own backoff (up to a
  minute) before it subscribes again; the heartbeat restarts it when it finds
  it finished, or when Redis answers but a probe sent through the fan-out
  channel does not come back.
- Ready means ready (:meth:`ready`, behind ``/readyz``): Redis answers, and a
  probe published on the fan-out channel and on the control channel came
  back through this process's subscribers, so other processes' broadcasts
  reach this one's clients.
- ``send`` carries control messages (participant removal) to every process,
  this one included; without Redis, or while it is down, they are handled
  locally only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..errors import Unavailable
from ..metrics import Metrics
from .presence import Presence

__all__ = ["Broker"]

log = logging.getLogger("liveclass.broker")

Handler = Callable[[dict[str, Any]], Awaitable[None]]

PROBE_SECONDS = 2.0
_PROBE_SID = "liveclass-readiness-probe"


class Broker:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        metrics: Metrics,
        presence: Presence,
        *,
        redis: Redis | None,
        prefix: str,
        interval: float,
    ) -> None:
        self._sio = sio
        self._metrics = metrics
        self._presence = presence
        self._redis = redis
        self._channel = f"{prefix}:control"
        self._interval = interval
        self._handler: Handler | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._probes: dict[str, asyncio.Future[None]] = {}
        self._probe_ids = itertools.count(1)
        self._replaced: list[Any] = []
        self.up = True

    def on_message(self, handler: Handler) -> None:
        self._handler = handler

    async def start(self) -> None:
        await self._presence.start()
        if self._redis is not None:
            # Start python-socketio's Redis listener now: left to the first
            # connection, an earlier emit would open a client that the
            # listener then replaces without closing.
            if not self._sio.manager_initialized:
                self._sio.manager_initialized = True
                self._sio.manager.initialize()
            self._keep_replaced_clients()
            self._tasks = [
                asyncio.create_task(self._heartbeat_loop()),
                asyncio.create_task(self._listen_loop()),
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._presence.stop()
        if self._redis is not None:
            await self._close_socketio_redis()
            await self._redis.aclose()

    def _keep_replaced_clients(self) -> None:
        """python-socketio reconnects by making a new Redis client and dropping the old one
        unclosed; keep the old ones so that :meth:`stop` closes them."""
        manager = self._sio.manager
        connect = getattr(manager, "_redis_connect", None)
        if connect is None:
            return

        def reconnect() -> None:
            self._replaced.extend(r for r in (manager.pubsub, manager.redis) if r is not None)
            connect()

        manager._redis_connect = reconnect

    async def _close_socketio_redis(self) -> None:
        """python-socketio never closes its Redis manager's listener and clients; we do."""
        manager = self._sio.manager
        thread = getattr(manager, "thread", None)
        if isinstance(thread, asyncio.Task):
            thread.cancel()
            await asyncio.gather(thread, return_exceptions=True)
        current = (getattr(manager, "pubsub", None), getattr(manager, "redis", None))
        stale, self._replaced = self._replaced, []
        for resource in (*stale, *current):
            if resource is not None:
                with contextlib.suppress(RedisError, OSError):
                    await resource.aclose()

    async def ping(self) -> None:
        """Readiness probe: raises when Redis does not answer."""
        if self._redis is not None:
            try:
                await asyncio.wait_for(self._redis.ping(), timeout=2)
            except RedisError as exc:
                raise ConnectionError(str(exc)) from exc

    async def ready(self) -> None:
        """Readiness probe: Redis answers and both channels carry a message round trip.

        Raises :class:`~server.errors.Unavailable` saying which part does not work.
        """
        if self._redis is None:
            return
        await self.ping()
        if not await self._fanout_round_trip():
            raise Unavailable(
                f"fan-out: a probe sent through Redis did not come back within "
                f"{PROBE_SECONDS:g} s (the subscriber is reconnecting)"
            )
        if not await self._control_round_trip():
            raise Unavailable(
                f"control channel: a probe did not come back within {PROBE_SECONDS:g} s"
            )

    async def _fanout_round_trip(self) -> bool:
        """Publish an ack addressed to this process on python-socketio's channel and wait
        for its listener to deliver it: the path every cross-process broadcast takes."""
        manager = self._sio.manager
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        probe_id = next(self._probe_ids)

        def arrive() -> None:
            if not arrived.done():
                arrived.set_result(None)

        manager.callbacks.setdefault(_PROBE_SID, {})[probe_id] = arrive
        try:
            await manager._publish(
                {
                    "method": "callback",
                    "host_id": manager.host_id,
                    "sid": _PROBE_SID,
                    "namespace": "/",
                    "id": probe_id,
                    "args": [],
                }
            )
            await asyncio.wait_for(arrived, PROBE_SECONDS)
            return True
        except TimeoutError:
            return False
        finally:
            manager.callbacks.get(_PROBE_SID, {}).pop(probe_id, None)

    async def _control_round_trip(self) -> bool:
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

    async def _listen_loop(self) -> None:
        assert self._redis is not None
        delay = 0.5
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    delay = 0.5
                    async for item in pubsub.listen():
                        if item.get("type") != "message":
                            continue
                        message = json.loads(item["data"])
                        if "probe" in message:
                            probe = self._probes.get(message["probe"])
                            if probe is not None and not probe.done():
                                probe.set_result(None)
                        else:
                            await self._deliver(message)
            except (RedisError, OSError) as exc:
                log.warning("broker: control channel lost, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

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
        await self._guard_listener()
        if self.up and not await self._fanout_round_trip():
            # Redis is back but python-socketio's listener sleeps out its backoff.
            log.warning("broker: fan-out probe lost while Redis answers; restarting the listener")
            await self._restart_listener()

    def _set_up(self, up: bool) -> None:
        self.up = up
        self._metrics.broker_up.set(1 if up else 0)

    async def _guard_listener(self) -> None:
        manager = self._sio.manager
        thread = getattr(manager, "thread", None)
        if isinstance(thread, asyncio.Task) and thread.done():
            log.error("broker: python-socketio's Redis listener stopped; restarting it")
            await self._restart_listener()

    async def _restart_listener(self) -> None:
        manager = self._sio.manager
        # The restarted listener opens a new client; close the old one (and its task) first.
        await self._close_socketio_redis()
        manager.connected = False
        manager.thread = self._sio.start_background_task(manager._thread)
