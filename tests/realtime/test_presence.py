"""Presence that scales: an exact count with small deltas, the names paged on request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.auth import Role
from server.db import Database
from server.realtime.presence import Presence
from server.redis_pool import connect_redis
from server.schemas.common import UserRef
from tests.support.bounds import PAGE_LIMIT_MAX
from tests.support.clock import FakeClock
from tests.support.platform import Person, Platform
from tests.support.processes import cli_env, serve_process
from tests.support.servers import serve_app
from tests.support.sockets import Client, connected, live_class


def utc_z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def enroll(platform: Platform, count: int) -> list[Person]:
    """``count`` more students (names of one length, in name order), enrolled in the course."""
    extra = [
        platform.person(f"learner-{i:03}", f"Learner {i:03}", Role.STUDENT) for i in range(count)
    ]
    await platform.sync_course(
        platform.course_id,
        mentors=[platform.mentor.user_id],
        students=[p.user_id for p in [*platform.students, *extra]],
    )
    return extra


@asynccontextmanager
async def joined(url: str, class_id: str, people: list[Person]) -> AsyncIterator[list[Client]]:
    """Everyone connected and in the class at once (in batches, to spare the machine)."""
    async with connected(url, *people) as clients:
        for start in range(0, len(clients), 25):
            await asyncio.gather(*(c.join(class_id) for c in clients[start : start + 25]))
        yield clients


def ids(users: list[dict[str, Any]]) -> list[str]:
    return [u["id"] for u in users]


def announces(user_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda update: user_id in ids(update["joined"])


async def test_deltas_count_each_user_once(platform: Platform) -> None:
    class_id = await live_class(platform)
    alice = platform.students[0]
    async with connected(platform.server.url, platform.mentor, alice, alice) as (
        host,
        phone,
        laptop,
    ):
        snap = await host.join(class_id)
        assert snap["presence"] == {
            "count": 1,
            "users": [{"id": platform.mentor.user_id, "name": "Grace Mentor", "role": "host"}],
        }
        await phone.join(class_id)
        update = await host.wait_for("presence:update", lambda d: d["count"] == 2)
        assert update == {
            "class_id": class_id,
            "count": 2,
            "joined": [{"id": alice.user_id, "name": alice.name, "role": "participant"}],
            "left": [],
            "truncated": False,
        }
        # A second device of someone online changes nothing anyone sees.
        assert (await laptop.join(class_id))["presence"]["count"] == 2
        await phone.ok("class:leave", {"class_id": class_id})
        await laptop.close()
        gone = await host.wait_for("presence:update", lambda d: d["left"] != [])
        assert (gone["count"], ids(gone["left"]), gone["joined"]) == (1, [alice.user_id], [])
        updates = host.received("presence:update")
        assert [ids(u["joined"]) for u in updates].count([alice.user_id]) == 1
        assert [ids(u["left"]) for u in updates].count([alice.user_id]) == 1


async def test_presence_records_attendance_by_the_steered_clock(
    platform: Platform, clock: FakeClock
) -> None:
    """Joining and leaving over the socket are timed by the context's clock, not the wall's."""
    t0 = clock.advance(days=-3)  # far from real time: a wall-clock reading would show
    class_id = await live_class(
        platform,
        scheduled_start=t0.isoformat(),
        scheduled_end=(t0 + timedelta(hours=1)).isoformat(),
    )
    alice = platform.students[0]
    async with connected(platform.server.url, platform.mentor, alice) as (host, student):
        await host.join(class_id)
        clock.advance(minutes=5)
        await student.join(class_id)
        await host.wait_for_online(class_id, {platform.mentor.user_id, alice.user_id})
        clock.advance(minutes=30)
        await student.close()
        await host.wait_for_online(class_id, {platform.mentor.user_id})
        clock.advance(minutes=25)
        path = f"/api/live-classes/{class_id}"
        ended = await platform.call("POST", f"{path}/end", platform.mentor)
        assert ended.status_code == 200, ended.text
    report = (await platform.call("GET", f"{path}/attendance", platform.mentor)).json()["data"]
    seen = next(row for row in report if row["user_id"] == alice.user_id)
    assert (seen["first_join"], seen["last_leave"], seen["attended_seconds"]) == (
        utc_z(t0 + timedelta(minutes=5)),
        utc_z(t0 + timedelta(minutes=35)),
        30 * 60,
    )


async def test_presence_list_pages_by_name(platform: Platform) -> None:
    class_id = await live_class(platform)
    people = [platform.mentor, *platform.students]
    async with joined(platform.server.url, class_id, people) as (_host, sam, _lee):
        by_name = ["Grace Mentor", "Lee Learner", "Sam Student"]
        listed = await sam.ok("presence:list", {"class_id": class_id})
        assert (listed["count"], [u["name"] for u in listed["users"]]) == (3, by_name)
        first = await sam.ok("presence:list", {"class_id": class_id, "limit": 2})
        rest = await sam.ok("presence:list", {"class_id": class_id, "offset": 2, "limit": 500})
        assert [u["name"] for u in first["users"] + rest["users"]] == by_name
        assert rest["count"] == 3
        beyond = await sam.ok("presence:list", {"class_id": class_id, "offset": 3})
        assert beyond == {"ok": True, "count": 3, "users": []}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"after": 1}, "after"),
    ],
)
async def test_presence_list_refuses_bad_pages(
    platform: Platform, fields: dict[str, Any], field: str
) -> None:
    class_id = await live_class(platform)
    async with connected(platform.server.url, platform.students[0]) as (sam,):
        ack = await sam.call("presence:list", {"class_id": class_id, **fields})
        assert ack["ok"] is False and ack["error"]["code"] == "bad_request", ack
        assert ack["error"]["message"].startswith(field)


async def test_presence_list_is_for_members(platform: Platform) -> None:
    class_id = await live_class(platform)
    outsider = platform.person("outsider", "Out Sider", Role.STUDENT)
    async with connected(platform.server.url, outsider) as (stranger,):
        ack = await stranger.call("presence:list", {"class_id": class_id})
        assert ack["error"]["code"] == "forbidden"
        missing = await stranger.call("presence:list", {"class_id": "no-such-class"})
        assert missing["error"]["code"] == "not_found"


async def test_a_join_storm_is_truncated_and_the_snapshot_capped(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than 50 joins between two updates: 50 listed, ``truncated``, the count exact."""
    class_id = await live_class(platform)
    crowd = await enroll(platform, 101)
    # Hold the first flush (the host's own join) until the crowd is in, so the
    # crowd's joins all fall into the next batch whatever the machine's speed.
    gate = asyncio.Event()
    count = Presence.count

    async def held(self: Presence, of_class: str) -> int:
        if of_class == class_id:
            await gate.wait()
        return await count(self, of_class)

    monkeypatch.setattr(Presence, "count", held)
    async with connected(platform.server.url, platform.mentor) as (host,):
        await host.join(class_id)
        async with joined(platform.server.url, class_id, crowd) as clients:
            gate.set()
            storm = await host.wait_for("presence:update", lambda d: d["truncated"])
            assert storm["count"] == 102
            assert len(storm["joined"]) == 50 and storm["left"] == []
            assert set(ids(storm["joined"])) <= {p.user_id for p in crowd}
            last = await clients[-1].ok("presence:list", {"class_id": class_id, "limit": 1})
            assert last["count"] == 102
            snap = await clients[0].join(class_id)  # joining again: a fresh snapshot
            assert snap["presence"]["count"] == 102
            listed = snap["presence"]["users"]
            assert ids(listed) == ["mentor-1", *(p.user_id for p in crowd[:99])]
            page = await host.ok("presence:list", {"class_id": class_id, "offset": 100})
            assert ids(page["users"]) == [crowd[99].user_id, crowd[100].user_id]
            default = await host.ok("presence:list", {"class_id": class_id})
            assert ids(default["users"]) == ids(listed)


async def test_presence_bytes_per_join_do_not_grow_with_the_class(platform: Platform) -> None:
    """The update announcing one join is as large in a class of 3 as in a class of 33."""
    class_id = await live_class(platform)
    crowd = await enroll(platform, 30)
    async with connected(platform.server.url, platform.mentor) as (host,):
        await host.join(class_id)
        sizes: list[int] = []
        async with connected(platform.server.url, *crowd) as clients:
            for person, client in zip(crowd, clients, strict=True):
                await client.join(class_id)
                update = await host.wait_for("presence:update", announces(person.user_id))
                assert update["count"] == len(sizes) + 2 and len(update["joined"]) == 1
                sizes.append(len(json.dumps(update)))
    assert max(sizes) - min(sizes) <= 1, sizes  # the count's digits only


async def test_participants_route_is_paged(platform: Platform) -> None:
    class_id = await live_class(platform)
    crowd = await enroll(platform, 3)
    path = f"/api/live-classes/{class_id}/participants"
    for person in [platform.mentor, *crowd]:
        joined_class = await platform.call("POST", f"/api/live-classes/{class_id}/join", person)
        assert joined_class.status_code == 200
    await platform.call("DELETE", f"/api/live-classes/{class_id}/join", crowd[0])
    first = (await platform.call("GET", path + "?limit=2", crowd[1])).json()
    assert (first["count"], first["limit"], first["offset"]) == (4, 2, 0)
    assert [(p["user"]["id"], p["user"]["name"], p["online"]) for p in first["data"]] == [
        (platform.mentor.user_id, platform.mentor.name, True),
        (crowd[0].user_id, crowd[0].name, False),
    ]
    rest = (await platform.call("GET", path + "?limit=2&offset=2", crowd[1])).json()
    assert [p["user"]["id"] for p in rest["data"]] == [crowd[1].user_id, crowd[2].user_id]
    assert set(rest["data"][0]) == {"user", "online", "first_joined_at", "last_seen_at"}
    too_many = await platform.call("GET", f"{path}?limit={PAGE_LIMIT_MAX + 1}", crowd[1])
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "bad_request"


async def test_count_is_exact_across_two_processes(platform: Platform) -> None:
    settings = platform.server.settings
    if settings.redis_url is None:
        pytest.skip("needs Redis and PostgreSQL (the postgres backend)")
    class_id = await live_class(platform)
    alice, bob = platform.students
    async with (
        serve_app(settings.model_copy()) as other,
        connected(platform.server.url, platform.mentor, alice) as (host, alice_here),
        connected(other.url, alice, bob) as (alice_there, bob_there),
    ):
        await host.join(class_id)
        await alice_here.join(class_id)
        await bob_there.join(class_id)
        snap = await alice_there.join(class_id)  # alice's second device, other process
        assert snap["presence"]["count"] == 3
        everyone = {platform.mentor.user_id, alice.user_id, bob.user_id}
        await host.wait_for_online(class_id, everyone)
        await bob_there.wait_for_online(class_id, everyone)
        listed = await bob_there.ok("presence:list", {"class_id": class_id})
        assert (listed["count"], ids(listed["users"])) == (
            3,
            ["mentor-1", "student-2", "student-1"],
        )

        # Alice leaves on one process only: she is still online.
        await alice_here.ok("class:leave", {"class_id": class_id})
        await bob_there.ok("class:leave", {"class_id": class_id})
        await host.wait_for_online(class_id, {platform.mentor.user_id, alice.user_id})
        await alice_there.close()
        gone = await host.wait_for_online(class_id, {platform.mentor.user_id})
        assert gone["count"] == 1
        joins = [ids(u["joined"]) for u in host.received("presence:update")]
        assert sum(j.count(alice.user_id) for j in joins) == 1


@pytest.mark.slow
async def test_a_killed_process_leaves_after_the_ttl(platform: Platform, tmp_path: Path) -> None:
    """kill -9 of a process: after the TTL a survivor reports its users ``left``."""
    settings = platform.server.settings
    if settings.redis_url is None:
        pytest.skip("needs Redis and PostgreSQL (the postgres backend)")
    assert settings.jwt_secret is not None and settings.secret_key is not None
    class_id = await live_class(platform)
    alice = platform.students[0]
    env = cli_env(
        LIVECLASS_DATABASE_URL=settings.database_url,
        LIVECLASS_REDIS_URL=settings.redis_url,
        LIVECLASS_REDIS_PREFIX=settings.redis_prefix,
        LIVECLASS_JWT_SECRET=settings.jwt_secret,
        LIVECLASS_SECRET_KEY=settings.secret_key,
        LIVECLASS_PRESENCE_TTL_SECONDS="3",
        LIVECLASS_WEBHOOK_WORKER="false",
    )
    quick = settings.model_copy(update={"presence_ttl_seconds": 3})
    with ExitStack() as stack:
        async with serve_app(quick) as here, connected(here.url, platform.mentor) as (host,):
            await host.join(class_id)
            # Started from a thread: the servers in this loop keep their heartbeat meanwhile.
            doomed = await asyncio.to_thread(
                stack.enter_context, serve_process(tmp_path, env, name="doomed")
            )
            async with connected(doomed.url, alice) as (victim,):
                await victim.join(class_id)
                await host.wait_for_online(class_id, {platform.mentor.user_id, alice.user_id})
                doomed.process.kill()
                await asyncio.to_thread(doomed.process.wait)
                gone = await host.wait_for(
                    "presence:update", lambda d: alice.user_id in ids(d["left"]), within=30
                )
            assert gone["count"] == 1 and gone["joined"] == []
            listed = await host.ok("presence:list", {"class_id": class_id})
            assert (listed["count"], ids(listed["users"])) == (1, [platform.mentor.user_id])
    report = await platform.call("GET", f"/api/live-classes/{class_id}/attendance", platform.mentor)
    rows = {r["user_id"]: r for r in report.json()["data"]}
    assert rows[alice.user_id]["last_leave"] is not None


async def test_a_count_overtaken_on_the_way_is_sent_again(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes' updates may cross: the last one a client gets still has the final count."""
    settings = platform.server.settings
    if settings.redis_url is None:
        pytest.skip("needs Redis and PostgreSQL (the postgres backend)")
    class_id = await live_class(platform)
    alice, bob = platform.students
    here: Presence = platform.server.state.hub.presence
    async with (
        serve_app(settings.model_copy()) as other,
        connected(platform.server.url, platform.mentor, alice) as (host, alice_here),
        connected(other.url, bob) as (bob_there,),
    ):
        await host.join(class_id)
        await bob_there.join(class_id)
        await host.wait_for_online(class_id, {platform.mentor.user_id, bob.user_id})
        # This process reads the count as it was before bob came (as if bob's update
        # had overtaken ours on the way): its update is stale when it arrives.
        monkeypatch.setattr(here, "count", _stale_once(here, 1))
        await alice_here.join(class_id)
        stale = await host.wait_for("presence:update", announces(alice.user_id))
        assert stale["count"] == 1
        fixed = await host.wait_for("presence:update", lambda d: d["count"] == 3)
        assert (fixed["joined"], fixed["left"]) == ([], [])
        updates = host.received("presence:update")
        assert updates.index(fixed) > updates.index(stale)
        assert set(host.online(class_id)) == {platform.mentor.user_id, alice.user_id, bob.user_id}


def _stale_once(presence: Presence, stale: int) -> Callable[[str], Awaitable[int]]:
    count = presence.count
    answered = False

    async def once(class_id: str) -> int:
        nonlocal answered
        if answered:
            return await count(class_id)
        answered = True
        return stale

    return once


async def test_names_of_any_characters_page_in_order(platform: Platform) -> None:
    """The shared view (Redis) and the local one order and return the same users."""
    settings = platform.server.settings
    class_id = await live_class(platform)
    people = [
        UserRef(id="u-nul", name="Zed\x00Null", role="participant"),
        UserRef(id="u-b", name="ärger", role="participant"),
        UserRef(id="u-a", name="Ärger", role="participant"),
        UserRef(id="u-quote", name='Al "the" \\ Pal', role="host"),
    ]
    expected = ["u-quote", "u-nul", "u-a", "u-b"]  # case-folded, by code point
    db = Database(settings.database_url)
    redis = connect_redis(settings)
    presence = Presence(
        db, "names-test", redis=redis, prefix=settings.redis_prefix + "-names", ttl=30
    )
    try:
        for n, user in enumerate(people):
            await presence.enter(class_id, user, f"sid-{n}")
        count, users = await presence.page(class_id, 0, 10)
        assert (count, [u.id for u in users]) == (4, expected)
        assert users[expected.index("u-nul")] == people[0]
        assert [u.id for u in (await presence.page(class_id, 1, 2))[1]] == expected[1:3]
    finally:
        await presence.stop()
        if redis is not None:
            await redis.aclose()
        await db.dispose()
