"""Success paths of every client event and the events they broadcast."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.support.platform import Platform
from tests.support.sockets import connected, live_class
from tests.support.waiting import wait_until


async def test_chat_idempotency_and_delete(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        alice,
        bob,
    ):
        for client in (host, alice, bob):
            await client.join(class_id)
        first = await alice.ok("chat:send", {"class_id": class_id, "text": "hi", "client_id": "k1"})
        again = await alice.ok("chat:send", {"class_id": class_id, "text": "hi", "client_id": "k1"})
        assert again["message"] == first["message"]
        message_id = first["message"]["id"]
        assert (await bob.call("chat:delete", {"class_id": class_id, "message_id": message_id}))[
            "error"
        ]["code"] == "forbidden"
        await alice.ok("chat:delete", {"class_id": class_id, "message_id": message_id})
        deleted = await bob.wait_for("chat:deleted")
        assert deleted["message_id"] == message_id
        other = await bob.ok("chat:send", {"class_id": class_id, "text": "mine"})
        await host.ok("chat:delete", {"class_id": class_id, "message_id": other["message"]["id"]})
        assert len(bob.received("chat:message")) == 2  # the duplicate was not broadcast
        snap = await bob.join(class_id)
        assert snap["chat"] == []


async def test_questions_lifecycle(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        alice,
        bob,
    ):
        for client in (host, alice, bob):
            await client.join(class_id)
        asked = (await alice.ok("question:ask", {"class_id": class_id, "text": "Why?"}))["question"]
        assert asked["author"]["id"] == platform.students[0].user_id
        assert asked["status"] == "open" and asked["votes"] == 0
        qid = asked["id"]
        vote = {"class_id": class_id, "question_id": qid, "up": True}
        assert (await bob.ok("question:vote", vote))["votes"] == 1
        assert (await bob.ok("question:vote", vote))["votes"] == 1
        assert (await alice.ok("question:vote", vote))["votes"] == 2
        assert (await alice.ok("question:vote", {**vote, "up": False}))["votes"] == 1
        batch = await host.wait_for(
            "question:votes", lambda d: d["votes"] == [{"question_id": qid, "votes": 1}]
        )
        assert "seq" not in batch
        answered = await host.ok(
            "question:answer", {"class_id": class_id, "question_id": qid, "text": "Because."}
        )
        assert answered["question"]["status"] == "answered"
        checks: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
            ("pin", lambda q: q["pinned"]),
            ("unpin", lambda q: not q["pinned"]),
            ("reopen", lambda q: q["status"] == "open" and q["answer"] is None),
            ("hide", lambda q: q["status"] == "hidden"),
            ("unhide", lambda q: q["status"] == "open"),
        ]
        for action, check in checks:
            ack = await host.ok(
                "question:moderate", {"class_id": class_id, "question_id": qid, "action": action}
            )
            assert check(ack["question"]), action
        updates = await alice.wait_for(
            "question:updated", lambda d: d["question"]["status"] == "hidden"
        )
        assert updates["question"]["text"] == ""  # a tombstone, not the hidden text
        snap = await bob.join(class_id)
        assert [q["voted"] for q in snap["questions"]] == [True]


async def test_polls_of_every_kind(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        alice,
        bob,
    ):
        for client in (host, alice, bob):
            await client.join(class_id)
        base = {"class_id": class_id, "question": "Q?"}
        single = (
            await host.ok(
                "poll:create", {**base, "kind": "single", "options": ["a", "b"], "correct": [1]}
            )
        )["poll"]
        opened = await alice.wait_for("poll:opened")
        assert opened["poll"]["correct"] is None and single["correct"] == [1]
        await alice.ok("poll:vote", {"class_id": class_id, "poll_id": single["id"], "choice": 0})
        await alice.ok("poll:vote", {"class_id": class_id, "poll_id": single["id"], "choice": 1})
        await bob.ok("poll:vote", {"class_id": class_id, "poll_id": single["id"], "choice": 1})
        live = await bob.wait_for("poll:results", lambda d: d["results"]["total"] == 2)
        assert live["results"] == {"total": 2, "counts": [0, 2]}
        hosts_view = await host.wait_for("poll:results", lambda d: d["results"]["total"] == 2)
        assert [len(v) for v in hosts_view["results"]["voters"]] == [0, 2]
        closed = await host.ok("poll:close", {"class_id": class_id, "poll_id": single["id"]})
        assert closed["results"]["counts"] == [0, 2]
        seen = await alice.wait_for("poll:closed")
        assert seen["poll"]["correct"] == [1] and "voters" not in seen["results"]

        multiple = (
            await host.ok(
                "poll:create",
                {
                    **base,
                    "kind": "multiple",
                    "options": ["a", "b", "c"],
                    "anonymous": True,
                    "results": "on_close",
                },
            )
        )["poll"]
        await alice.ok(
            "poll:vote", {"class_id": class_id, "poll_id": multiple["id"], "choice": [2, 0]}
        )
        rating = (await host.ok("poll:create", {**base, "kind": "rating", "results": "hosts"}))[
            "poll"
        ]
        await alice.ok("poll:vote", {"class_id": class_id, "poll_id": rating["id"], "choice": 4})
        await bob.ok("poll:vote", {"class_id": class_id, "poll_id": rating["id"], "choice": 5})
        text = (await host.ok("poll:create", {**base, "kind": "text"}))["poll"]
        await bob.ok("poll:vote", {"class_id": class_id, "poll_id": text["id"], "choice": " fine "})
        snap = await alice.join(class_id)
        by_id = {p["id"]: p for p in snap["polls"]}
        assert by_id[multiple["id"]]["tally"] is None  # on_close, still open
        assert by_id[multiple["id"]]["my_vote"] == [0, 2]
        assert by_id[rating["id"]]["tally"] is None  # hosts only
        assert by_id[text["id"]]["tally"] == {"total": 1, "answers": ["fine"]}
        closed = await host.ok("poll:close", {"class_id": class_id, "poll_id": multiple["id"]})
        assert closed["results"] == {"total": 1, "counts": [1, 0, 1]}
        on_close = await alice.wait_for("poll:closed", lambda d: d["poll"]["id"] == multiple["id"])
        assert on_close["results"]["counts"] == [1, 0, 1]
        closed = await host.ok("poll:close", {"class_id": class_id, "poll_id": rating["id"]})
        assert closed["results"]["average"] == 4.5
        hidden = await alice.wait_for("poll:closed", lambda d: d["poll"]["id"] == rating["id"])
        assert hidden["results"] is None
        assert not [d for d in alice.received("poll:results") if d["poll_id"] == rating["id"]]


async def test_hands_reactions_resources(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        alice,
        bob,
    ):
        for client in (host, alice, bob):
            await client.join(class_id)
        await alice.ok("hand:raise", {"class_id": class_id})
        hands = (await bob.ok("hand:raise", {"class_id": class_id}))["hands"]
        assert [h["user"]["id"] for h in hands] == [s.user_id for s in platform.students]
        assert (await alice.ok("hand:raise", {"class_id": class_id}))["hands"] == hands
        assert (
            await alice.call(
                "hand:lower", {"class_id": class_id, "user_id": platform.students[1].user_id}
            )
        )["error"]["code"] == "forbidden"
        await host.ok("hand:lower", {"class_id": class_id, "user_id": platform.students[0].user_id})
        left = (await bob.ok("hand:lower", {"class_id": class_id}))["hands"]
        assert left == []
        queues = [d["hands"] for d in host.received("hand:queue")]
        assert len(queues) == 4 and queues[-1] == []

        await asyncio.gather(
            *(
                alice.ok("reaction:send", {"class_id": class_id, "emoji": e})
                for e in ["👍", "👍", "🎉"]
            )
        )

        def totals() -> Counter[str]:
            counted: Counter[str] = Counter()
            for burst in host.received("reaction:burst"):
                counted.update(burst["counts"])
            return counted

        await wait_until(lambda: totals() == {"👍": 2, "🎉": 1}, within=10, what="reaction bursts")

        shared = await host.ok(
            "resource:share",
            {
                "class_id": class_id,
                "kind": "slides",
                "title": "Deck",
                "url": "https://example.com/deck",
            },
        )
        got = await bob.wait_for("resource:shared")
        assert got["resource"] == shared["resource"]
        detail = await platform.call("GET", f"/api/live-classes/{class_id}", platform.students[0])
        assert detail.json()["data"]["resources"] == [shared["resource"]]


async def test_presence_and_leave(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, platform.students[0]) as (
        host,
        alice,
    ):
        await host.join(class_id)
        await alice.join(class_id)
        update = await host.wait_for("presence:update", lambda d: d["count"] == 2)
        assert update["left"] == [] and update["truncated"] is False
        assert set(host.online(class_id)) == {platform.mentor.user_id, platform.students[0].user_id}
        assert host.online(class_id)[platform.students[0].user_id] == {
            "id": platform.students[0].user_id,
            "name": platform.students[0].name,
            "role": "participant",
        }
        await alice.ok("class:leave", {"class_id": class_id})
        gone = await host.wait_for("presence:update", lambda d: bool(d["left"]))
        assert [u["id"] for u in gone["left"]] == [platform.students[0].user_id]
        assert gone["count"] == 1 and gone["joined"] == []
        assert set(host.online(class_id)) == {platform.mentor.user_id}
        await alice.ok("chat:send", {"class_id": class_id, "text": "still allowed"})
        assert not alice.received("chat:message")  # left the room
    report = await platform.call("GET", f"/api/live-classes/{class_id}/attendance", platform.mentor)
    rows = {r["user_id"]: r for r in report.json()["data"]}
    assert rows[platform.students[0].user_id]["join_count"] == 1
    assert rows[platform.students[0].user_id]["last_leave"] is not None


async def test_removal(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        alice,
        bob,
    ):
        for client in (host, alice, bob):
            await client.join(class_id)
        await alice.ok("hand:raise", {"class_id": class_id})
        await host.ok(
            "participant:remove",
            {"class_id": class_id, "user_id": platform.students[0].user_id, "reason": "spam"},
        )
        removed = await alice.wait_for("participant:removed")
        assert removed == {"class_id": class_id, "reason": "spam"}
        assert not bob.received("participant:removed")
        queue = await bob.wait_for("hand:queue", lambda d: d["hands"] == [])
        assert queue["hands"] == []
        await bob.ok("chat:send", {"class_id": class_id, "text": "after"})
        await bob.wait_for("chat:message")
        assert not alice.received("chat:message")
        for event, payload in [("class:join", {}), ("chat:send", {"text": "x"})]:
            ack = await alice.call(event, {"class_id": class_id, **payload})
            assert ack["error"]["code"] == "forbidden"
        assert (
            await host.call(
                "participant:remove", {"class_id": class_id, "user_id": platform.mentor.user_id}
            )
        )["error"]["code"] == ("forbidden")
