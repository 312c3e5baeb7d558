"""Every kind of bad input gets the spec's error ack and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from server.auth import Role
from tests.support.bounds import rate
from tests.support.platform import Platform
from tests.support.sockets import Client, connected, live_class

OFF = {"chat": False, "qa": False, "polls": False, "reactions": False, "hand_raise": False}


async def test_bad_input_table(platform: Platform) -> None:
    class_id = await live_class(platform)
    other_id = await live_class(platform)
    lobby_id = await live_class(platform, start=False)
    off_id = await live_class(platform, settings=OFF)
    stranger = platform.person("stranger", "Stan Stranger", Role.STUDENT)
    foreigner = platform.person("student-1", "Foreign", Role.STUDENT, org="another-org")
    async with connected(
        platform.server.url, platform.mentor, platform.students[0], stranger, foreigner
    ) as (host, pupil, outsider, alien):
        await host.join(class_id)
        question = (await host.ok("question:ask", {"class_id": other_id, "text": "q"}))["question"]
        own_q = (await host.ok("question:ask", {"class_id": class_id, "text": "q"}))["question"]
        poll = (
            await host.ok("poll:create", {"class_id": class_id, "question": "?", "kind": "rating"})
        )["poll"]
        done = (
            await host.ok(
                "poll:create",
                {"class_id": class_id, "question": "?", "kind": "single", "options": ["a", "b"]},
            )
        )["poll"]
        await host.ok("poll:close", {"class_id": class_id, "poll_id": done["id"]})
        message = (await host.ok("chat:send", {"class_id": other_id, "text": "m"}))["message"]
        before = (await host.join(class_id))["seq"]
        c = class_id
        cases: list[tuple[Client, str, Any, str]] = [
            (pupil, "chat:send", "not an object", "bad_request"),
            (pupil, "chat:send", ["a", "list"], "bad_request"),
            (pupil, "chat:send", None, "bad_request"),
            (pupil, "no:such:event", {"class_id": c}, "bad_request"),
            (pupil, "chat:send", {"class_id": c}, "bad_request"),
            (pupil, "chat:send", {"class_id": c, "text": "   "}, "bad_request"),
            (pupil, "chat:send", {"class_id": c, "text": "x" * 2001}, "bad_request"),
            (pupil, "chat:send", {"class_id": c, "text": 5}, "bad_request"),
            (
                pupil,
                "chat:send",
                {"class_id": c, "text": "x", "client_id": "k" * 65},
                "bad_request",
            ),
            (pupil, "chat:send", {"class_id": c, "text": "x", "extra": 1}, "bad_request"),
            (pupil, "chat:send", {"class_id": 7, "text": "x"}, "bad_request"),
            (pupil, "class:resync", {"class_id": c, "after_seq": "1"}, "bad_request"),
            (pupil, "class:resync", {"class_id": c, "after_seq": -1}, "bad_request"),
            (pupil, "question:ask", {"class_id": c, "text": "x" * 1001}, "bad_request"),
            (
                pupil,
                "question:vote",
                {"class_id": c, "question_id": own_q["id"], "up": 1},
                "bad_request",
            ),
            (
                pupil,
                "question:moderate",
                {"class_id": c, "question_id": own_q["id"], "action": "hide"},
                "forbidden",
            ),
            (
                host,
                "question:moderate",
                {"class_id": c, "question_id": own_q["id"], "action": "delete"},
                "bad_request",
            ),
            (
                host,
                "poll:create",
                {"class_id": c, "question": "?", "kind": "single", "options": ["a"]},
                "bad_request",
            ),
            (
                host,
                "poll:create",
                {
                    "class_id": c,
                    "question": "?",
                    "kind": "single",
                    "options": [str(i) for i in range(11)],
                },
                "bad_request",
            ),
            (
                host,
                "poll:create",
                {"class_id": c, "question": "?", "kind": "rating", "options": ["a", "b"]},
                "bad_request",
            ),
            (
                host,
                "poll:create",
                {
                    "class_id": c,
                    "question": "?",
                    "kind": "single",
                    "options": ["a", "b"],
                    "correct": [2],
                },
                "bad_request",
            ),
            (host, "poll:create", {"class_id": c, "question": "?", "kind": "poll"}, "bad_request"),
            (
                pupil,
                "poll:vote",
                {"class_id": c, "poll_id": poll["id"], "choice": 6},
                "bad_request",
            ),
            (
                pupil,
                "poll:vote",
                {"class_id": c, "poll_id": poll["id"], "choice": "5"},
                "bad_request",
            ),
            (
                pupil,
                "poll:vote",
                {"class_id": c, "poll_id": poll["id"], "choice": True},
                "bad_request",
            ),
            (pupil, "poll:vote", {"class_id": c, "poll_id": done["id"], "choice": 0}, "closed"),
            (host, "poll:close", {"class_id": c, "poll_id": done["id"]}, "closed"),
            (host, "poll:vote", {"class_id": c, "poll_id": poll["id"], "choice": 3}, "forbidden"),
            (pupil, "poll:create", {"class_id": c, "question": "?", "kind": "rating"}, "forbidden"),
            (pupil, "poll:close", {"class_id": c, "poll_id": poll["id"]}, "forbidden"),
            (pupil, "question:answer", {"class_id": c, "question_id": own_q["id"]}, "forbidden"),
            (
                pupil,
                "resource:share",
                {"class_id": c, "kind": "link", "title": "t", "url": "https://x.example"},
                "forbidden",
            ),
            (
                host,
                "resource:share",
                {"class_id": c, "kind": "link", "title": "t", "url": "javascript:alert(1)"},
                "bad_request",
            ),
            (
                host,
                "resource:share",
                {"class_id": c, "kind": "movie", "title": "t", "url": "https://x.example"},
                "bad_request",
            ),
            (pupil, "participant:remove", {"class_id": c, "user_id": "student-2"}, "forbidden"),
            (host, "participant:remove", {"class_id": c, "user_id": "nobody"}, "not_found"),
            (pupil, "reaction:send", {"class_id": c, "emoji": "💩"}, "bad_request"),
            (
                pupil,
                "question:vote",
                {"class_id": c, "question_id": "nope", "up": True},
                "not_found",
            ),
            (
                pupil,
                "question:vote",
                {"class_id": c, "question_id": question["id"], "up": True},
                "not_found",
            ),
            (pupil, "poll:vote", {"class_id": c, "poll_id": "nope", "choice": 1}, "not_found"),
            (pupil, "chat:delete", {"class_id": c, "message_id": message["id"]}, "not_found"),
            (host, "chat:delete", {"class_id": c, "message_id": "nope"}, "not_found"),
            (pupil, "chat:send", {"class_id": "nope", "text": "x"}, "not_found"),
            (outsider, "class:join", {"class_id": c}, "forbidden"),
            (outsider, "chat:send", {"class_id": c, "text": "x"}, "forbidden"),
            (alien, "class:join", {"class_id": c}, "not_found"),
            (pupil, "chat:send", {"class_id": lobby_id, "text": "x"}, "closed"),
            (pupil, "question:ask", {"class_id": lobby_id, "text": "x"}, "closed"),
            (pupil, "hand:raise", {"class_id": lobby_id}, "closed"),
            (pupil, "reaction:send", {"class_id": lobby_id, "emoji": "👍"}, "closed"),
            (pupil, "chat:send", {"class_id": off_id, "text": "x"}, "closed"),
            (host, "chat:send", {"class_id": off_id, "text": "x"}, "closed"),
            (pupil, "question:ask", {"class_id": off_id, "text": "x"}, "closed"),
            (host, "poll:create", {"class_id": off_id, "question": "?", "kind": "text"}, "closed"),
            (pupil, "reaction:send", {"class_id": off_id, "emoji": "👍"}, "closed"),
            (pupil, "hand:raise", {"class_id": off_id}, "closed"),
        ]
        wrong = []
        for who, event, payload, code in cases:
            ack = await who.call(event, payload)
            if ack.get("ok") is not False or ack["error"]["code"] != code:
                wrong.append((event, payload, code, ack))
            else:
                assert set(ack) == {"ok", "error"} and ack["error"]["message"]
        assert not wrong, wrong
        assert (await host.join(class_id))["seq"] == before


async def test_lobby_chat_ended_and_cancelled(platform: Platform) -> None:
    lobby_id = await live_class(platform, start=False, settings={"lobby_chat": True})
    ended_id = await live_class(platform)
    cancelled_id = await live_class(platform, start=False)
    assert (
        await platform.call("POST", f"/api/live-classes/{ended_id}/end", platform.mentor)
    ).status_code == 200
    assert (
        await platform.call("DELETE", f"/api/live-classes/{cancelled_id}", platform.mentor)
    ).status_code == 200
    async with connected(platform.server.url, platform.mentor, platform.students[0]) as (
        host,
        pupil,
    ):
        await pupil.ok("chat:send", {"class_id": lobby_id, "text": "early"})
        assert (await pupil.call("question:ask", {"class_id": lobby_id, "text": "q"}))["error"][
            "code"
        ] == "closed"
        snap = await pupil.join(ended_id)  # read-only, but joinable
        assert snap["class"]["status"] == "ended"
        assert (await pupil.call("chat:send", {"class_id": ended_id, "text": "late"}))["error"][
            "code"
        ] == "closed"
        await host.ok("chat:send", {"class_id": ended_id, "text": "notes"})
        assert (await host.call("chat:send", {"class_id": cancelled_id, "text": "x"}))["error"][
            "code"
        ] == "closed"


async def test_rate_limits(platform: Platform) -> None:
    class_id = await live_class(platform)
    settings = platform.server.settings
    chat, questions = rate(settings.rate_limit_chat), rate(settings.rate_limit_questions)
    reactions = rate(settings.rate_limit_reactions)
    async with connected(platform.server.url, platform.mentor, platform.students[0]) as (
        host,
        pupil,
    ):
        for i in range(chat.amount):
            await pupil.ok("chat:send", {"class_id": class_id, "text": f"m{i}"})
        limited = await pupil.call("chat:send", {"class_id": class_id, "text": "one too many"})
        assert limited["error"]["code"] == "rate_limited"
        for i in range(questions.amount):
            await pupil.ok("question:ask", {"class_id": class_id, "text": f"q{i}"})
        assert (await pupil.call("question:ask", {"class_id": class_id, "text": "q"}))["error"][
            "code"
        ] == "rate_limited"
        for _ in range(reactions.amount):
            await pupil.ok("reaction:send", {"class_id": class_id, "emoji": "👏"})
        assert (await pupil.call("reaction:send", {"class_id": class_id, "emoji": "👏"}))["error"][
            "code"
        ] == "rate_limited"
        hosts_sent = 2 * chat.amount + 2  # hosts are not limited
        for i in range(hosts_sent):
            await host.ok("chat:send", {"class_id": class_id, "text": f"h{i}"})
        history = await platform.call(
            "GET", f"/api/live-classes/{class_id}/chat?limit=100", platform.mentor
        )
        assert history.json()["count"] == chat.amount + hosts_sent


async def test_bad_token_is_refused(platform: Platform) -> None:
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []

    async def connect_error(data: Any) -> None:
        errors.append(data)

    client.on("connect_error", handler=connect_error)

    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            platform.server.url, auth={"token": "forged"}, transports=["websocket"], wait_timeout=5
        )
    assert errors and errors[0]["data"]["code"] == "unauthorized"
