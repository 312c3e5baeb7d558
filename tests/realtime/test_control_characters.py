"""Socket payloads follow the HTTP rule: control characters are refused naming the field."""

from __future__ import annotations

from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_control_characters_are_refused_and_nothing_is_sent(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, platform.students[0]) as (
        host,
        pupil,
    ):
        await host.join(class_id)
        seq = (await pupil.join(class_id))["seq"]
        cases = [
            (pupil, "chat:send", {"class_id": class_id, "text": "hi\x00"}, "text"),
            (pupil, "question:ask", {"class_id": class_id, "text": "\x07?"}, "text"),
            (pupil, "chat:send", {"class_id": f"{class_id}\x00", "text": "x"}, "class_id"),
            (
                host,
                "poll:create",
                {"class_id": class_id, "question": "Q", "kind": "single", "options": ["a", "\x1b"]},
                "options.1",
            ),
            (
                host,
                "resource:share",
                {"class_id": class_id, "kind": "link", "title": "t\x00", "url": "https://x.io"},
                "title",
            ),
        ]
        for who, event, payload, field in cases:
            ack = await who.call(event, payload)
            assert ack["ok"] is False and ack["error"]["code"] == "bad_request", (event, ack)
            assert field in ack["error"]["message"], ack
        resync = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": seq})
        assert resync["events"] == [] and resync["seq"] == seq
        sent = await pupil.ok("chat:send", {"class_id": class_id, "text": "tab\there\nline"})
        assert sent["message"]["text"] == "tab\there\nline"
