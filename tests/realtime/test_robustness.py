"""Misbehaving clients, crashes and restarts leave no half-written state."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from server.db import Database
from server.db.tables import attendance_intervals
from server.realtime.presence import Presence
from server.schemas.common import UserRef
from server.services import chat
from server.services.attendance import open_interval
from tests.support.platform import Platform
from tests.support.servers import serve_app
from tests.support.sockets import Client, connected, live_class
from tests.support.waiting import wait_until


async def test_unexpected_error_is_internal(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    class_id = await live_class(platform)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    async with connected(platform.server.url, platform.students[0]) as (pupil,):
        monkeypatch.setattr(chat, "send", broken)
        ack = await pupil.call("chat:send", {"class_id": class_id, "text": "x"})
        assert ack == {"ok": False, "error": {"code": "internal", "message": "internal error"}}
        monkeypatch.undo()
        await pupil.ok("chat:send", {"class_id": class_id, "text": "fine again"})


async def test_flooding_client_only_slows_itself(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        flooder,
        other,
    ):
        qid = (await host.ok("question:ask", {"class_id": class_id, "text": "?"}))["question"]["id"]
        acks: list[Any] = []
        done = asyncio.Event()

        def collect(ack: Any) -> None:
            acks.append(ack)
            if len(acks) == 100:
                done.set()

        for _ in range(100):
            await flooder.sio.emit(
                "question:vote",
                {"class_id": class_id, "question_id": qid, "up": True},
                callback=collect,
            )
        await other.ok("chat:send", {"class_id": class_id, "text": "unbothered"})
        await asyncio.wait_for(done.wait(), 30)
        codes = {a["error"]["code"] for a in acks if not a["ok"]}
        assert codes <= {"rate_limited"}
        counted = [a["votes"] for a in acks if a["ok"]]
        assert counted and set(counted) == {1}  # one vote, however often it is sent


async def test_disconnect_mid_operation(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor) as (host,):
        await host.join(class_id)
        leaver = Client(platform.students[0])
        await leaver.connect(platform.server.url)
        await leaver.ok("chat:send", {"class_id": class_id, "text": "bye 0"})
        for i in range(1, 5):  # no acks awaited: the socket closes with these in flight
            await leaver.sio.emit("chat:send", {"class_id": class_id, "text": f"bye {i}"})
        await leaver.close()
        stored: list[str] = []

        async def stored_is_what_the_host_saw() -> bool:
            got = await platform.call("GET", f"/api/live-classes/{class_id}/chat", platform.mentor)
            stored[:] = [m["text"] for m in got.json()["data"]]
            return stored == [d["message"]["text"] for d in host.received("chat:message")]

        # Whatever of the unacknowledged sends the server handled, it broadcast as stored.
        await wait_until(stored_is_what_the_host_saw, within=10, what="chat stored = chat seen")
        assert stored[0] == "bye 0"
        assert set(stored) <= {f"bye {i}" for i in range(5)}


async def test_hands_survive_a_restart(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.students[0]) as (pupil,):
        await pupil.ok("hand:raise", {"class_id": class_id})
    async with (
        serve_app(platform.server.settings.model_copy()) as fresh,
        connected(fresh.url, platform.mentor) as (host,),
    ):
        hands = (await host.join(class_id))["hands"]
        assert [h["user"]["id"] for h in hands] == [platform.students[0].user_id]


async def test_presence_of_a_dead_process_is_closed(platform: Platform) -> None:
    settings = platform.server.settings
    class_id = await live_class(platform)
    db = Database(settings.database_url)
    user = UserRef(id=platform.students[0].user_id, name="Sam", role="participant")
    try:
        if settings.redis_url is None:
            async with db.write() as conn:
                await open_interval(
                    conn,
                    class_id,
                    user_id=user.id,
                    source="presence",
                    at=datetime.now(UTC),
                    source_key="old-run:x",
                )
            await Presence(db, "new-run", redis=None, prefix="p", ttl=30).start()
        else:
            client = aioredis.from_url(settings.redis_url)
            prefix = settings.redis_prefix + "-dead"
            dead = Presence(db, "dead-proc", redis=client, prefix=prefix, ttl=3)
            await dead.enter(class_id, user, "sid-1")
            await dead.heartbeat()
            assert await dead.page(class_id, 0, 100) == (1, [user])
            await client.zadd(f"{prefix}:procs", {"dead-proc": time.time() - 60})
            survivor = Presence(db, "survivor", redis=client, prefix=prefix, ttl=3)
            changes: list[tuple[str, bool, UserRef]] = []
            survivor.on_change(lambda *change: changes.append(change))
            assert await survivor.count(class_id) == 1  # until someone notices
            await survivor.sweep()
            assert changes == [(class_id, False, user)]
            assert await survivor.page(class_id, 0, 100) == (0, [])
            assert await client.keys(f"{prefix}:*:{class_id}*") == []
            await client.aclose()
        async with db.read() as conn:
            open_rows = (
                await conn.execute(
                    select(attendance_intervals.c.id).where(
                        attendance_intervals.c.class_id == class_id,
                        attendance_intervals.c.ended_at.is_(None),
                    )
                )
            ).all()
        assert open_rows == []
    finally:
        await db.dispose()


async def test_heartbeat_restarts_a_dead_broker_listener(platform: Platform) -> None:
    if platform.server.settings.redis_url is None:
        pytest.skip("needs Redis")
    broker = platform.server.state.broker
    listener = broker._tasks["listen"]
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    await broker.beat()
    assert not broker._tasks["listen"].done()
    # The new listener delivers: a broadcast from another process reaches a local socket.
    class_id = await live_class(platform)
    async with (
        serve_app(platform.server.settings.model_copy()) as other,
        connected(platform.server.url, platform.mentor) as (host,),
        connected(other.url, platform.students[0]) as (pupil,),
    ):
        await host.join(class_id)
        await pupil.join(class_id)
        await pupil.ok("chat:send", {"class_id": class_id, "text": "via redis"})
        got = await host.wait_for("chat:message")
        assert got["message"]["text"] == "via redis"
