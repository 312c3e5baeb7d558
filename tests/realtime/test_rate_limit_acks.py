"""A rate-limited caller is told how long to wait, over the socket and over HTTP alike."""

from __future__ import annotations

from tests.support.bounds import rate
from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_rate_limited_acks_and_429s_carry_the_wait(platform: Platform) -> None:
    class_id = await live_class(platform)
    chat = rate(platform.server.settings.rate_limit_chat)
    async with connected(platform.server.url, platform.students[0]) as (pupil,):
        for i in range(chat.amount):
            await pupil.ok("chat:send", {"class_id": class_id, "text": f"m{i}"})
        ack = await pupil.call("chat:send", {"class_id": class_id, "text": "one too many"})
        assert ack["error"]["code"] == "rate_limited", ack
        assert 1 <= ack["error"]["retry_after"] <= chat.window_seconds, ack

    over_http = await platform.call(
        "POST", f"/api/live-classes/{class_id}/chat", platform.students[0], json={"text": "x"}
    )
    assert over_http.status_code == 429, over_http.text
    assert 1 <= int(over_http.headers["Retry-After"]) <= chat.window_seconds
