"""The same bad field gives the same message over HTTP and over the socket."""

from __future__ import annotations

from typing import Any

from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_http_and_socket_refuse_alike(platform: Platform) -> None:
    class_id = await live_class(platform)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("chat:send", "/chat", {"text": ""}),
        ("chat:send", "/chat", {"text": 5}),
        ("chat:send", "/chat", {"text": "hi\x00"}),
        ("question:ask", "/qa", {"text": "x" * 1001}),
        ("poll:create", "/polls", {"question": "Q", "kind": "single", "options": ["a"]}),
        ("resource:share", "/resources", {"kind": "link", "title": "t", "url": "ftp://x"}),
    ]
    async with connected(platform.server.url, platform.mentor) as (host,):
        for event, suffix, body in cases:
            over_http = await platform.call(
                "POST", f"/api/live-classes/{class_id}{suffix}", platform.mentor, json=body
            )
            assert over_http.status_code == 400, (suffix, over_http.text)
            ack = await host.call(event, {"class_id": class_id, **body})
            assert ack["error"]["code"] == "bad_request", ack
            assert ack["error"]["message"] == over_http.json()["error"]["message"], (event, body)


async def test_the_combined_route_names_content_with_the_operations_message(
    platform: Platform,
) -> None:
    """``POST /interactions`` checks ``content`` as the operation's own field: the problem
    the socket names for ``text`` is named for ``content``."""
    class_id = await live_class(platform)
    too_long = "x" * 1001
    async with connected(platform.server.url, platform.mentor) as (host,):
        ack = await host.call("question:ask", {"class_id": class_id, "text": too_long})
    combined = await platform.call(
        "POST",
        f"/api/live-classes/{class_id}/interactions",
        platform.mentor,
        json={"interaction_type": "question", "content": too_long},
    )
    field, _, problem = ack["error"]["message"].partition(": ")
    assert (field, bool(problem)) == ("text", True), ack
    error = combined.json()["error"]
    assert (combined.status_code, error["message"], error["details"]) == (
        400,
        f"content: {problem}",
        {"content": problem},
    )
