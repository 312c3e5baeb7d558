"""Interactions over HTTP: same validation and the same broadcasts as the socket events."""

from __future__ import annotations

from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_http_operations_broadcast_like_sockets(platform: Platform) -> None:
    class_id = await live_class(platform)
    path = f"/api/live-classes/{class_id}"
    mentor, pupil = platform.mentor, platform.students[0]
    async with connected(platform.server.url, mentor) as (host,):
        await host.join(class_id)
        sent = await platform.call("POST", path + "/chat", pupil, json={"text": "hi"})
        assert sent.status_code == 201, sent.text
        live = await host.wait_for("chat:message")
        assert live["message"] == sent.json()["data"]

        asked = await platform.call("POST", path + "/qa", pupil, json={"text": "why?"})
        qid = asked.json()["data"]["id"]
        await host.wait_for("question:new")
        up = await platform.call("POST", path + f"/qa/{qid}/upvote", pupil)
        assert up.json()["data"] == {"question_id": qid, "votes": 1}
        down = await platform.call("DELETE", path + f"/qa/{qid}/upvote", pupil)
        assert down.json()["data"]["votes"] == 0
        answered = await platform.call(
            "POST", path + f"/qa/{qid}/answer", mentor, json={"text": "because"}
        )
        assert answered.json()["data"]["status"] == "answered"
        await host.wait_for("question:updated")

        poll = await platform.call(
            "POST",
            path + "/polls",
            mentor,
            json={"question": "?", "kind": "single", "options": ["a", "b"], "results": "on_close"},
        )
        assert poll.status_code == 201, poll.text
        pid = poll.json()["data"]["id"]
        voted = await platform.call(
            "POST", path + f"/polls/{pid}/respond", pupil, json={"choice": 1}
        )
        assert voted.status_code == 200, voted.text
        hidden = await platform.call("GET", path + f"/polls/{pid}/results", pupil)
        assert hidden.status_code == 403
        closed = await platform.call("POST", path + f"/polls/{pid}/close", mentor)
        assert closed.json()["data"]["results"]["counts"] == [0, 1]
        shown = await platform.call("GET", path + f"/polls/{pid}/results", pupil)
        assert shown.json()["data"] == {"total": 1, "counts": [0, 1]}
        listed = await platform.call("GET", path + "/polls", pupil)
        assert listed.json()["data"][0]["my_vote"] == 1

        shared = await platform.call(
            "POST",
            path + "/resources",
            mentor,
            json={"kind": "link", "title": "t", "url": "https://example.com"},
        )
        assert shared.status_code == 201
        await host.wait_for("resource:shared")
        resources = await platform.call("GET", path + "/resources", pupil)
        assert resources.json()["data"] == [shared.json()["data"]]

        raised = await platform.call("POST", path + "/hands", pupil)
        assert [h["user"]["id"] for h in raised.json()["data"]] == [pupil.user_id]
        lowered = await platform.call(
            "DELETE", path + "/hands", mentor, json={"user_id": pupil.user_id}
        )
        assert lowered.json()["data"] == []

        combined = await platform.call(
            "POST",
            path + "/interactions",
            pupil,
            json={"interaction_type": "question", "content": "q2", "is_anonymous": True},
        )
        assert combined.status_code == 201, combined.text
        react = await platform.call(
            "POST",
            path + "/interactions",
            pupil,
            json={"interaction_type": "reaction", "content": "👍"},
        )
        assert react.status_code == 201
        await host.wait_for("reaction:burst")
        history = await platform.call("GET", path + "/interactions", mentor)
        kinds = [(i["interaction_type"], i["user"] is None) for i in history.json()["data"]]
        assert kinds == [
            ("chat", False),
            ("question", False),
            ("poll_response", False),
            ("question", True),
        ]
        only_chat = await platform.call("GET", path + "/interactions?type=chat&limit=1", mentor)
        assert only_chat.json()["count"] == 1

        removed = await platform.call(
            "POST", path + "/participants/remove", mentor, json={"user_id": pupil.user_id}
        )
        assert removed.status_code == 200
        refused = await platform.call("POST", path + "/chat", pupil, json={"text": "again"})
        assert refused.status_code == 403


async def test_http_failures(platform: Platform) -> None:
    class_id = await live_class(platform)
    path = f"/api/live-classes/{class_id}"
    pupil, mentor = platform.students[0], platform.mentor
    cases = [
        ("POST", "/chat", pupil, {"text": ""}, 400),
        ("POST", "/chat", pupil, {"text": 3}, 400),
        ("POST", "/qa", pupil, {"text": "x", "anonymous": "yes"}, 400),
        ("POST", "/qa/nope/upvote", pupil, None, 404),
        ("POST", "/qa/nope/answer", pupil, {"text": "x"}, 403),
        ("POST", "/polls", pupil, {"question": "?", "kind": "text"}, 403),
        ("POST", "/polls", mentor, {"question": "?", "kind": "single"}, 400),
        ("POST", "/polls/nope/respond", pupil, {"choice": 1}, 404),
        ("POST", "/polls/nope/close", mentor, None, 404),
        ("GET", "/polls/nope/results", pupil, None, 404),
        ("POST", "/resources", pupil, {"kind": "link", "title": "t", "url": "https://x"}, 403),
        ("POST", "/interactions", pupil, {"interaction_type": "reaction", "content": "no"}, 400),
        ("POST", "/interactions", pupil, {"interaction_type": "vote", "content": "x"}, 400),
        ("GET", "/interactions?type=nope", pupil, None, 400),
        ("DELETE", "/chat/nope", mentor, None, 404),
    ]
    wrong = []
    for method, route, who, body, status in cases:
        kwargs = {"json": body} if body is not None else {}
        response = await platform.call(method, path + route, who, **kwargs)
        if response.status_code != status or response.json()["success"] is not False:
            wrong.append((method, route, status, response.status_code, response.text))
    assert not wrong, wrong
    ended = await live_class(platform)
    await platform.call("POST", f"/api/live-classes/{ended}/end", mentor)
    late = await platform.call("POST", f"/api/live-classes/{ended}/chat", pupil, json={"text": "x"})
    error = late.json()["error"]
    assert (late.status_code, error["code"], error["details"]) == (
        422,
        "invalid_state",
        {"reason": "closed"},
    )
