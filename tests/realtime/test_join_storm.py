"""Many joins at once on a server with a one-connection database pool that gives up waiting
for a connection quickly: each join is admitted or told to try again (``rate_limited``),
never ``internal``; everyone gets in by retrying, and the shared snapshot still shows each
of them their own view."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from server.auth import Role
from tests.support.backends import Backend
from tests.support.platform import Platform
from tests.support.servers import serve_app
from tests.support.sockets import Client, connected, live_class

STUDENTS = 100


async def join_until_admitted(client: Client, class_id: str) -> tuple[dict[str, Any], int]:
    """The snapshot, and how many times the server asked to try again first."""
    retries = 0
    while True:
        ack = await client.call("class:join", {"class_id": class_id}, within=60)
        if ack["ok"]:
            return ack["snapshot"], retries
        assert ack["error"]["code"] == "rate_limited", ack
        assert ack["error"]["retry_after"] >= 1, ack
        retries += 1
        await asyncio.sleep(0.1)  # a real client waits retry_after; no need here


async def test_a_join_storm_on_a_tiny_pool_admits_everyone_or_asks_them_to_retry(
    backend: Backend,
) -> None:
    async with (
        backend.fresh() as own,
        serve_app(own.settings(database_pool_size=1, database_pool_timeout_seconds=0.5)) as server,
        Platform.create(server, org=f"org-{secrets.token_hex(4)}") as platform,
    ):
        crowd = [platform.person(f"storm-{i}", f"Storm {i}", Role.STUDENT) for i in range(STUDENTS)]
        await platform.sync_course(
            platform.course_id,
            mentors=[platform.mentor.user_id],
            students=[p.user_id for p in crowd],
        )
        class_id = await live_class(platform)
        async with connected(server.url, platform.mentor, *crowd) as (host, *clients):
            await host.join(class_id)
            question = await host.ok("question:ask", {"class_id": class_id, "text": "Ready?"})
            hidden = await host.ok("question:ask", {"class_id": class_id, "text": "Off topic"})
            await host.ok(
                "question:moderate",
                {"class_id": class_id, "question_id": hidden["question"]["id"], "action": "hide"},
            )
            poll = await host.ok(
                "poll:create",
                {"class_id": class_id, "question": "?", "kind": "single", "options": ["a", "b"]},
            )
            voter = clients[0]
            await voter.join(class_id)
            poll_id = poll["poll"]["id"]
            await voter.ok("poll:vote", {"class_id": class_id, "poll_id": poll_id, "choice": 1})
            await voter.ok("class:leave", {"class_id": class_id})

            joined = await asyncio.gather(*(join_until_admitted(c, class_id) for c in clients))

            for client, (snapshot, _) in zip(clients, joined, strict=True):
                assert snapshot["you"]["user"]["id"] == client.person.user_id
                # Participants never see the hidden question; the one visible is there.
                assert [q["id"] for q in snapshot["questions"]] == [question["question"]["id"]]
                (seen_poll,) = snapshot["polls"]
                assert seen_poll["my_vote"] == (1 if client is voter else None)
            last = await host.wait_for(
                "presence:update",
                lambda d: d["class_id"] == class_id and d["count"] == 1 + STUDENTS,
            )
            assert last["count"] == 1 + STUDENTS


async def test_joins_admitted_together_are_judged_one_by_one(backend: Backend) -> None:
    """An outsider in the same admission batch is refused alone; a student joining on two
    devices at once gets in on both and is one participant."""
    async with (
        backend.fresh() as own,
        serve_app(own.settings()) as server,
        Platform.create(server, org=f"org-{secrets.token_hex(4)}") as platform,
    ):
        students = [platform.person(f"batch-{i}", f"Batch {i}", Role.STUDENT) for i in range(5)]
        outsider = platform.person("outsider", "Outsider", Role.STUDENT)
        await platform.sync_course(
            platform.course_id,
            mentors=[platform.mentor.user_id],
            students=[p.user_id for p in students],
        )
        class_id = await live_class(platform)
        twice = students[0]
        async with connected(server.url, platform.mentor, twice, *students, outsider) as (
            host,
            *clients,
        ):
            await host.join(class_id)
            acks = await asyncio.gather(
                *(c.call("class:join", {"class_id": class_id}, within=60) for c in clients)
            )
            *admitted, refused = acks
            assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
            for client, ack in zip(clients, admitted, strict=False):
                assert ack["ok"], ack
                assert ack["snapshot"]["you"]["user"]["id"] == client.person.user_id
            last = await host.wait_for(
                "presence:update",
                lambda d: d["class_id"] == class_id and d["count"] == 1 + len(students),
            )
            assert last["count"] == 1 + len(students)
