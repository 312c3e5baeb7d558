from __future__ import annotations

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
