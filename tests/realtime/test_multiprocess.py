"""Two server processes sharing PostgreSQL and Redis behave as one."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from tests.support.platform import Platform
from tests.support.servers import serve_app
from tests.support.sockets import Client, connected, live_class


async def test_two_processes_act_as_one(platform: Platform) -> None:
    settings = platform.server.settings
    if settings.redis_url is None:
        pytest.skip("needs Redis and PostgreSQL (the postgres backend)")
    class_id = await live_class(platform)
    async with (
        serve_app(settings.model_copy()) as other,
        connected(platform.server.url, platform.mentor, platform.students[0]) as (host, alice),
        connected(other.url, platform.students[1]) as (bob,),
    ):
        start = (await host.join(class_id))["seq"]
        await alice.join(class_id)
        await bob.join(class_id)
        everyone = {platform.mentor.user_id, *(s.user_id for s in platform.students)}
        for client in (host, alice, bob):
            await client.wait_for_online(class_id, everyone)

        async def chatter(client: Client, n: int) -> None:
            for i in range(n):
                await client.ok("chat:send", {"class_id": class_id, "text": f"{i}"})

        await asyncio.gather(chatter(host, 10), chatter(bob, 5), chatter(alice, 5))
        qid = (await bob.ok("question:ask", {"class_id": class_id, "text": "?"}))["question"]["id"]
        await alice.ok("question:vote", {"class_id": class_id, "question_id": qid, "up": True})
        await bob.ok("question:vote", {"class_id": class_id, "question_id": qid, "up": True})
        end = start + 21
        for client in (host, alice, bob):
            await client.wait_for("question:new")
            await client.wait_for(
                "question:votes", lambda d: d["votes"] == [{"question_id": qid, "votes": 2}]
            )
            seqs = sorted(
                d["seq"]
                for n, d in client.events
                if isinstance(d, dict) and "seq" in d and n != "class:status"
            )
            assert seqs == list(range(start + 1, end + 1)), client.person.user_id

        # The rate limit is one budget across processes: bob sent 5 through the other.
        bob_here = Client(platform.students[1])
        await bob_here.connect(platform.server.url)
        try:
            limited = await bob_here.call("chat:send", {"class_id": class_id, "text": "x"})
        finally:
            await bob_here.close()
        assert limited["error"]["code"] == "rate_limited"

        # A removal on one process reaches sockets on the other.
        await host.ok(
            "participant:remove", {"class_id": class_id, "user_id": platform.students[1].user_id}
        )
        await bob.wait_for("participant:removed")
        gone = await host.wait_for("presence:update", lambda d: bool(d["left"]))
        assert [u["id"] for u in gone["left"]] == [platform.students[1].user_id]
        await host.wait_for_online(class_id, everyone - {platform.students[1].user_id})



async def test_a_process_reads_only_the_classes_it_has_members_in(platform: Platform) -> None:
    settings = platform.server.settings
    if settings.redis_url is None:
        pytest.skip("needs Redis and PostgreSQL (the postgres backend)")
    class_id = await live_class(platform)
    channel = f"{settings.redis_prefix}:class:{class_id}"
    probe = aioredis.from_url(settings.redis_url)

    async def subscribers() -> int:
        counts = dict(await probe.pubsub_numsub(channel))
        return int(counts[channel.encode()])

    try:
        async with (
            serve_app(settings.model_copy()) as other,
            connected(platform.server.url, platform.mentor) as (host,),
            connected(other.url, platform.students[0]) as (pupil,),
        ):
            broker = other.app.other_asgi_app.state.broker
            received: list[str] = []
            deliver = broker._deliver_broadcast

            async def spy(room: str, encoded: str) -> None:
                received.append(room)
                await deliver(room, encoded)

            broker.on_broadcast(spy)
            await host.join(class_id)
            assert await subscribers() == 1
            await host.ok(
                "chat:send", {"class_id": class_id, "text": "nobody on the other process"}
            )
            await host.wait_for("chat:message")
            # The other process has sockets but none in the class: not subscribed, gets nothing.
            assert class_id not in broker.classes()
            assert received == []
            await pupil.join(class_id)
            assert await subscribers() == 2
            await host.ok("chat:send", {"class_id": class_id, "text": "now both"})
            await pupil.wait_for("chat:message", lambda d: d["message"]["text"] == "now both")
            assert pupil.received("chat:message")[0]["message"]["text"] == "now both"
            assert received and all(room.startswith(f"class:{class_id}") for room in received)
            await pupil.ok("class:leave", {"class_id": class_id})
            assert class_id not in broker.classes()
            assert await subscribers() == 1
            before = len(received)
            await host.ok("chat:send", {"class_id": class_id, "text": "after the leave"})
            await host.wait_for("chat:message", lambda d: d["message"]["text"] == "after the leave")
            assert await subscribers() == 1
            assert len(received) == before
    finally:
        await probe.aclose()
