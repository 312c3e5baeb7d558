from __future__ import annotations

import asyncio

from tests.support.bounds import rate
from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_join_and_chat(platform: Platform) -> None:
    class_id = await live_class(platform)
    mentor, student = platform.mentor, platform.students[0]
    async with connected(platform.server.url, mentor, student) as (host, pupil):
        snap = await host.join(class_id)
        assert snap["you"]["role"] == "host"
        snap = await pupil.join(class_id)
        assert set(snap) == {
            "class",
            "you",
            "seq",
            "presence",
            "hands",
            "polls",
            "questions",
            "chat",
            "resources",
        }
        assert snap["presence"]["count"] == 2
        assert {u["id"] for u in snap["presence"]["users"]} == {mentor.user_id, student.user_id}
        ack = await pupil.ok("chat:send", {"class_id": class_id, "text": "  hello  "})
        assert ack["message"]["text"] == "hello"
        got = await host.wait_for("chat:message")
        assert got["message"] == ack["message"]
        assert got["seq"] == snap["seq"] + 1


async def test_a_joined_socket_chats_only_while_the_rules_allow_it(platform: Platform) -> None:
    """Access is checked on every send, not once at join: changes made after the join apply."""
    class_id = await live_class(platform)
    student, classmate = platform.students[0], platform.students[1]
    path = f"/api/live-classes/{class_id}"
    async with connected(platform.server.url, platform.mentor, student) as (host, pupil):
        await host.join(class_id)
        await pupil.join(class_id)
        await pupil.ok("chat:send", {"class_id": class_id, "text": "first"})

        off = await platform.call(
            "PATCH", path, platform.mentor, json={"settings": {"chat": False}}
        )
        assert off.status_code == 200, off.text
        ack = await pupil.call("chat:send", {"class_id": class_id, "text": "while off"})
        assert ack["error"]["code"] == "closed"

        on = await platform.call("PATCH", path, platform.mentor, json={"settings": {"chat": True}})
        assert on.status_code == 200, on.text
        await pupil.ok("chat:send", {"class_id": class_id, "text": "back on"})

        unenrolled = await platform.call(
            "PUT",
            f"/api/courses/{platform.course_id}/enrollments",
            platform.admin,
            json={"students": [classmate.user_id]},
        )
        assert unenrolled.status_code == 200, unenrolled.text
        ack = await pupil.call("chat:send", {"class_id": class_id, "text": "unenrolled"})
        assert ack["error"]["code"] == "forbidden"

        await host.ok("chat:send", {"class_id": class_id, "text": "last"})
        await host.wait_for("chat:message", lambda d: d["message"]["text"] == "last")
        seen = [d["message"]["text"] for d in host.received("chat:message")]
        assert seen == ["first", "back on", "last"]


async def test_the_same_client_id_racing_from_two_sockets_stores_one_message(
    platform: Platform,
) -> None:
    """A client retrying on a second connection while the first send is still in flight."""
    class_id = await live_class(platform)
    student = platform.students[0]
    copies = rate(platform.server.settings.rate_limit_chat).amount  # every copy within the limit
    async with connected(platform.server.url, platform.mentor, student, student) as (
        host,
        first,
        second,
    ):
        for client in (host, first, second):
            await client.join(class_id)
        send = {"class_id": class_id, "text": "only once", "client_id": "retry-1"}
        acks = await asyncio.gather(
            *((first, second)[i % 2].call("chat:send", send) for i in range(copies))
        )
        assert all(ack["ok"] for ack in acks), acks
        ids = {ack["message"]["id"] for ack in acks}
        assert len(ids) == 1, acks  # every ack names the one stored message

        # The host's next message arrives after any broadcast of the raced one.
        await host.ok("chat:send", {"class_id": class_id, "text": "after"})
        await host.wait_for("chat:message", lambda d: d["message"]["text"] == "after")
        broadcast = [d["message"]["id"] for d in host.received("chat:message")]
        assert broadcast == [*ids, broadcast[-1]]
    history = await platform.call("GET", f"/api/live-classes/{class_id}/chat", platform.mentor)
    stored = [(m["id"], m["text"]) for m in history.json()["data"]]
    assert stored == [(next(iter(ids)), "only once"), (broadcast[-1], "after")]
