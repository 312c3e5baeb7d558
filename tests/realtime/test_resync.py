"""Missed durable events come back in order with class:resync, redacted for the viewer."""

from __future__ import annotations

from server.services.classroom import RESYNC_PAGE
from tests.support.platform import Platform
from tests.support.sockets import Client, connected, live_class


async def test_reconnect_and_resync_gets_exactly_the_missed(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor) as (host,):
        await host.join(class_id)
        pupil = Client(platform.students[0])
        await pupil.connect(platform.server.url)
        last = (await pupil.join(class_id))["seq"]
        await pupil.close()
        sent = [
            (await host.ok("chat:send", {"class_id": class_id, "text": f"m{i}"}))["message"]
            for i in range(20)
        ]
        pupil = Client(platform.students[0])
        await pupil.connect(platform.server.url)
        try:
            ack = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": last})
        finally:
            await pupil.close()
    assert ack["more"] is False and ack["seq"] == last + 20
    assert [e["event"] for e in ack["events"]] == ["chat:message"] * 20
    assert [e["data"]["message"] for e in ack["events"]] == sent
    assert [e["data"]["seq"] for e in ack["events"]] == list(range(last + 1, last + 21))


async def test_pages_reset_and_redaction(platform: Platform) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.mentor, platform.students[0]) as (
        host,
        pupil,
    ):
        start = (await host.join(class_id))["seq"]
        await pupil.join(class_id)
        q = (
            await pupil.ok(
                "question:ask", {"class_id": class_id, "text": "secret", "anonymous": True}
            )
        )["question"]
        await host.ok(
            "question:moderate", {"class_id": class_id, "question_id": q["id"], "action": "hide"}
        )
        await host.ok(
            "poll:create",
            {
                "class_id": class_id,
                "question": "?",
                "kind": "single",
                "options": ["a", "b"],
                "correct": [0],
            },
        )
        mine = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": start})
        theirs = await host.ok("class:resync", {"class_id": class_id, "after_seq": start})
        assert [e["event"] for e in mine["events"]] == [
            "question:new",
            "question:updated",
            "poll:opened",
        ]
        assert mine["events"][1]["data"]["question"]["text"] == ""
        assert theirs["events"][1]["data"]["question"]["text"] == "secret"
        assert mine["events"][2]["data"]["poll"]["correct"] is None
        assert theirs["events"][2]["data"]["poll"]["correct"] == [0]
        # Live broadcasts equal the replay, for each viewer.
        await pupil.wait_for("poll:opened")
        live = [
            (n, d)
            for n, d in pupil.events
            if n in ("question:new", "question:updated", "poll:opened")
        ]
        assert [{"event": n, "data": d} for n, d in live] == mine["events"]

        ahead = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": 10_000})
        assert ahead == {"ok": True, "reset": True}
        latest = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": theirs["seq"]})
        assert latest == {"ok": True, "events": [], "seq": theirs["seq"], "more": False}

        for i in range(RESYNC_PAGE + 5):
            await host.ok("chat:send", {"class_id": class_id, "text": f"n{i}"})
        page = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": start})
        assert len(page["events"]) == RESYNC_PAGE and page["more"] is True
        last = page["events"][-1]["data"]["seq"]
        rest = await pupil.ok("class:resync", {"class_id": class_id, "after_seq": last})
        assert rest["more"] is False
        assert [e["data"]["seq"] for e in page["events"] + rest["events"]] == list(
            range(start + 1, rest["seq"] + 1)
        )
