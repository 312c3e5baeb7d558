"""Events too large or too deep to parse are answered ``bad_request``; the socket stays usable.

The test client's own JSON encoder recurses like the server's decoder used to,
so deep payloads are written as text and sent as a raw Socket.IO packet.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from server.realtime.packets import MAX_DEPTH, TRANSPORT_MAX_BYTES, refusal
from server.settings import Settings
from tests.support.platform import Platform
from tests.support.sockets import Client, connected, live_class

# The settings' default: the unit tests below need no server to read it from.
EVENT_LIMIT: int = Settings.model_fields["socket_max_event_bytes"].default


async def call_raw(client: Client, event: str, payload_json: str) -> Any:
    """Emit ``event`` with a payload given as JSON text; the ack it gets."""
    answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    ack_id = client.sio._generate_ack_id("/", lambda *args: answered.set_result(args[0]))
    name = orjson.dumps(event).decode()
    await client.sio.eio.send(f"2{ack_id}[{name},{payload_json}]")
    return await asyncio.wait_for(answered, 30)


def nested(depth: int, class_id: str) -> str:
    return f'{{"class_id": "{class_id}", "text": ' + "[" * depth + "]" * depth + "}"


def assert_refused(ack: Any, why: str) -> None:
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == "bad_request", ack
    assert why in ack["error"]["message"], ack


async def test_deep_and_huge_events_get_bad_request_and_change_nothing(
    platform: Platform,
) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, *platform.students) as (
        host,
        sender,
        bystander,
    ):
        await host.join(class_id)
        await sender.join(class_id)
        await bystander.join(class_id)
        before = (await sender.ok("class:resync", {"class_id": class_id, "after_seq": 0}))["seq"]
        limit = platform.server.settings.socket_max_event_bytes

        assert_refused(await call_raw(sender, "chat:send", nested(5000, class_id)), "nested")
        assert_refused(
            await call_raw(sender, "chat:send", nested(MAX_DEPTH + 1, class_id)), "nested"
        )
        huge = orjson.dumps({"class_id": class_id, "text": "x" * (limit + 1)}).decode()
        assert_refused(await call_raw(sender, "chat:send", huge), f"larger than {limit}")
        # Multi-byte characters count as the bytes they take.
        wide = orjson.dumps({"class_id": class_id, "text": "é" * (limit // 2)}).decode()
        assert_refused(await call_raw(sender, "chat:send", wide), "larger than")

        # Within the depth limit the event is parsed and judged by its schema as usual.
        shallow = await call_raw(sender, "chat:send", nested(MAX_DEPTH - 1, class_id))
        assert shallow["error"]["code"] == "bad_request"
        assert "text" in shallow["error"]["message"]

        after = (await sender.ok("class:resync", {"class_id": class_id, "after_seq": 0}))["seq"]
        assert after == before
        await sender.ok("chat:send", {"class_id": class_id, "text": "still here"})
        seen = await bystander.wait_for(
            "chat:message", lambda m: m["message"]["text"] == "still here"
        )
        assert seen["message"]["user"]["id"] == platform.students[0].user_id
        assert bystander.sio.connected and host.sio.connected


async def test_a_message_over_the_transport_limit_closes_only_that_connection(
    platform: Platform,
) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, platform.students[1]) as (
        host,
        bystander,
    ):
        await bystander.join(class_id)
        sender = Client(platform.students[0])
        await sender.connect(platform.server.url)
        text = "x" * (TRANSPORT_MAX_BYTES + 1)
        await sender.sio.eio.send(f'42["chat:send",{{"class_id":"{class_id}","text":"{text}"}}]')

        await asyncio.wait_for(sender.sio.wait(), 30)  # returns once the server closed it
        assert not sender.sio.connected
        await host.ok("chat:send", {"class_id": class_id, "text": "after the drop"})
        await bystander.wait_for("chat:message", lambda m: m["message"]["text"] == "after the drop")
        assert bystander.sio.connected


def test_refusal_skips_brackets_inside_strings() -> None:
    text = '2["chat:send",{"class_id":"c","text":"' + "[[[[" * 50 + '\\"]"}]'
    assert refusal(text, max_bytes=EVENT_LIMIT, max_depth=MAX_DEPTH) is None
    deep = "2[" + "{" * 40 + "}" * 40 + "]"
    assert "nested" in (refusal(deep, max_bytes=EVENT_LIMIT, max_depth=MAX_DEPTH) or "")
