"""One admission rule on both transports: the class size limit holds on socket ``class:join``
as on HTTP join, and counts participants present either way."""

from __future__ import annotations

from tests.support.platform import Platform
from tests.support.sockets import Client, connected, live_class


async def test_a_full_class_refuses_a_socket_join_but_not_hosts_or_returning_people(
    platform: Platform,
) -> None:
    class_id = await live_class(platform, max_participants=1)
    first, second = platform.students
    async with connected(platform.server.url, first, second, platform.mentor) as (a, b, host):
        await a.join(class_id)
        refused = await b.call("class:join", {"class_id": class_id})
        assert refused == {
            "ok": False,
            "error": {"code": "conflict", "message": "the class is full (1 participants)"},
        }
        await host.join(class_id)  # hosts neither count nor are limited
        over_http = await platform.call("POST", f"/api/live-classes/{class_id}/join", second)
        assert over_http.status_code == 409, over_http.text

        again = Client(first)  # the same student on a second device
        await again.connect(platform.server.url)
        try:
            await again.join(class_id)
        finally:
            await again.close()

        await a.ok("class:leave", {"class_id": class_id})
        await host.wait_for_online(class_id, {platform.mentor.user_id})
        snapshot = await b.join(class_id)
        presence = snapshot["presence"]
        assert {u["id"] for u in presence["users"]} == {second.user_id, platform.mentor.user_id}
        assert presence["count"] == 2


async def test_someone_in_the_meeting_over_http_fills_the_classroom_too(
    platform: Platform,
) -> None:
    class_id = await live_class(platform, max_participants=1)
    first, second = platform.students
    joined = await platform.call("POST", f"/api/live-classes/{class_id}/join", first)
    assert joined.status_code == 200, joined.text
    async with connected(platform.server.url, second, first) as (b, a):
        refused = await b.call("class:join", {"class_id": class_id})
        assert refused["error"]["code"] == "conflict"
        await a.join(class_id)  # present already: not one more


async def test_an_ended_class_still_opens_read_only_when_it_was_full(platform: Platform) -> None:
    class_id = await live_class(platform, max_participants=1)
    first, second = platform.students
    assert (
        await platform.call("POST", f"/api/live-classes/{class_id}/join", first)
    ).status_code == 200
    ended = await platform.call("POST", f"/api/live-classes/{class_id}/end", platform.mentor)
    assert ended.status_code == 200, ended.text
    async with connected(platform.server.url, second) as (b,):
        snapshot = await b.join(class_id)
        assert snapshot["class"]["status"] == "ended"
    late = await platform.call("POST", f"/api/live-classes/{class_id}/join", second)
    assert late.status_code == 422
