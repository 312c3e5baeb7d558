"""A rate-limited caller is told how long to wait, over the socket and over HTTP alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.bounds import rate
from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


@dataclass(frozen=True)
class Family:
    """One rate-limited kind of interaction: its setting, socket event and HTTP write."""

    setting: str
    event: str
    socket_payload: dict[str, Any]
    http_path: str
    http_body: dict[str, Any]


FAMILIES = {
    "chat": Family("rate_limit_chat", "chat:send", {"text": "hi"}, "/chat", {"text": "hi"}),
    "questions": Family(
        "rate_limit_questions", "question:ask", {"text": "why?"}, "/qa", {"text": "why?"}
    ),
    "reactions": Family(
        "rate_limit_reactions",
        "reaction:send",
        {"emoji": "👍"},
        "/interactions",
        {"interaction_type": "reaction", "content": "👍"},
    ),
}


@pytest.mark.parametrize("name", list(FAMILIES))
async def test_rate_limited_acks_and_429s_carry_the_wait(platform: Platform, name: str) -> None:
    family = FAMILIES[name]
    limit = rate(getattr(platform.server.settings, family.setting))
    class_id = await live_class(platform)
    pupil = platform.students[0]
    async with connected(platform.server.url, pupil) as (socket,):
        for _ in range(limit.amount):
            await socket.ok(family.event, {"class_id": class_id, **family.socket_payload})
        ack = await socket.call(family.event, {"class_id": class_id, **family.socket_payload})
        assert ack["ok"] is False and ack["error"]["code"] == "rate_limited", ack
        assert 1 <= ack["error"]["retry_after"] <= limit.window_seconds, ack

    # The same window, counted once for both transports.
    over_http = await platform.call(
        "POST", f"/api/live-classes/{class_id}{family.http_path}", pupil, json=family.http_body
    )
    assert over_http.status_code == 429, over_http.text
    assert over_http.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(over_http.headers["Retry-After"]) <= limit.window_seconds

    # Another participant has a window of their own.
    other = await platform.call(
        "POST",
        f"/api/live-classes/{class_id}{family.http_path}",
        platform.students[1],
        json=family.http_body,
    )
    assert other.status_code == 201, other.text


async def test_http_alone_answers_429_with_retry_after(platform: Platform) -> None:
    chat = rate(platform.server.settings.rate_limit_chat)
    class_id = await live_class(platform)
    path = f"/api/live-classes/{class_id}/chat"
    for i in range(chat.amount):
        sent = await platform.call("POST", path, platform.students[0], json={"text": f"m{i}"})
        assert sent.status_code == 201, sent.text
    limited = await platform.call("POST", path, platform.students[0], json={"text": "more"})
    assert limited.status_code == 429, limited.text
    assert limited.json()["success"] is False
    assert 1 <= int(limited.headers["Retry-After"]) <= chat.window_seconds
    history = await platform.call("GET", path, platform.mentor)
    assert [m["text"] for m in history.json()["data"]] == [f"m{i}" for i in range(chat.amount)]
