"""Many clients at once: exact counts and tallies, bounded reaction bursts."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import Counter

from server.auth import Role
from server.realtime.coalesce import Coalescer
from tests.support.platform import Person, Platform
from tests.support.sockets import connected, live_class
from tests.support.waiting import wait_until

# The reaction coalescer's default interval: the fastest pace of reaction:burst per class.
FLUSH_INTERVAL: float = inspect.signature(Coalescer).parameters["interval"].default


def crowd(platform: Platform, size: int) -> list[Person]:
    return [platform.person(f"crowd-{i}", f"Crowd {i}", Role.STUDENT) for i in range(size)]


async def enroll(platform: Platform, people: list[Person]) -> None:
    await platform.sync_course(
        platform.course_id, mentors=[platform.mentor.user_id], students=[p.user_id for p in people]
    )


async def test_two_hundred_vote_at_once(platform: Platform) -> None:
    people = crowd(platform, 200)
    await enroll(platform, people)
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *people) as (host, *clients):
        await host.join(class_id)
        qid = (await host.ok("question:ask", {"class_id": class_id, "text": "Up?"}))["question"][
            "id"
        ]
        acks = await asyncio.gather(
            *(
                c.ok("question:vote", {"class_id": class_id, "question_id": qid, "up": True})
                for c in clients
            )
        )
        assert max(a["votes"] for a in acks) == 200
        assert sorted(a["votes"] for a in acks) == list(range(1, 201))
        final = await host.wait_for(
            "question:votes", lambda d: d["votes"] == [{"question_id": qid, "votes": 200}]
        )
        assert final

        poll = (
            await host.ok(
                "poll:create",
                {
                    "class_id": class_id,
                    "question": "?",
                    "kind": "single",
                    "options": ["a", "b", "c"],
                },
            )
        )["poll"]
        vote = {"class_id": class_id, "poll_id": poll["id"]}
        await asyncio.gather(
            *(c.ok("poll:vote", {**vote, "choice": i % 3}) for i, c in enumerate(clients))
        )
        # Half of them change their mind to option 2, concurrently with the rest re-voting.
        await asyncio.gather(
            *(
                c.ok("poll:vote", {**vote, "choice": 2 if i < 100 else i % 3})
                for i, c in enumerate(clients)
            )
        )
        expected = Counter(2 if i < 100 else i % 3 for i in range(200))
        counts = [expected[k] for k in range(3)]
        last = await host.wait_for("poll:results", lambda d: d["results"]["counts"] == counts)
        assert last["results"]["total"] == 200
        closed = await host.ok("poll:close", vote)
        assert closed["results"]["counts"] == counts


async def test_five_hundred_reactions_in_a_second(platform: Platform) -> None:
    people = crowd(platform, 50)
    await enroll(platform, people)
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *people) as (host, *clients):
        await host.join(class_id)
        emojis = ["👍", "👏", "🎉", "❤️", "😂"]
        began = time.monotonic()
        await asyncio.gather(
            *(
                c.ok("reaction:send", {"class_id": class_id, "emoji": emojis[(i + k) % 5]})
                for i, c in enumerate(clients)
                for k in range(10)
            )
        )

        def totals() -> Counter[str]:
            counted: Counter[str] = Counter()
            for burst in host.received("reaction:burst"):
                counted.update(burst["counts"])
            return counted

        await wait_until(
            lambda: totals() == {e: 100 for e in emojis}, within=10, what="every reaction counted"
        )
        taken = time.monotonic() - began
        bursts = host.received("reaction:burst")
        # One burst a flush interval at most, plus the first immediate one.
        assert len(bursts) <= taken / FLUSH_INTERVAL + 1, (len(bursts), taken)
