"""A socket whose token expired is refused, told (``auth:expired``), disconnected; it reconnects."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import socketio

from server.auth import Role, issue_token
from tests.support.clock import FakeClock
from tests.support.platform import Person, Platform
from tests.support.sockets import Client, connected, live_class

TTL = timedelta(minutes=5)


def short_lived(platform: Platform, person: Person) -> Person:
    token = issue_token(
        platform.server.settings,
        sub=person.user_id,
        org=platform.org,
        role=person.role,
        name=person.name,
        ttl=TTL,
    )
    return Person(person.user_id, person.name, person.role, token)


def disconnect_signal(client: Client) -> asyncio.Event:
    gone = asyncio.Event()

    async def on_disconnect(*reason: Any) -> None:
        gone.set()

    client.sio.on("disconnect", handler=on_disconnect)
    return gone


async def test_an_expired_socket_is_refused_told_disconnected_and_can_come_back(
    platform: Platform, clock: FakeClock
) -> None:
    class_id = await live_class(platform)
    leeway = platform.server.settings.jwt_leeway_seconds
    pupil = short_lived(platform, platform.students[0])
    # Three sockets of the same user: each tries a different kind of event once expired.
    async with connected(platform.server.url, platform.mentor, pupil, pupil, pupil) as (
        host,
        *sockets,
    ):
        await host.join(class_id)
        gone = [disconnect_signal(socket) for socket in sockets]
        for socket in sockets:
            await socket.join(class_id)
        # Within the leeway the token still works, as it does over HTTP.
        clock.advance(seconds=TTL.total_seconds() + leeway - 5)
        before = await sockets[0].ok("chat:send", {"class_id": class_id, "text": "still here"})
        seq = (await host.wait_for("chat:message"))["seq"]

        clock.advance(seconds=10)
        refused = [
            await sockets[0].call("chat:send", {"class_id": class_id, "text": "too late"}),
            await sockets[1].call("chat:send", {"class_id": class_id, "text": 5}),
            await sockets[2].call("no:such:event", {"class_id": class_id}),
        ]
        for ack in refused:
            assert ack["ok"] is False
            assert ack["error"]["code"] == "unauthorized", ack
            assert "expired" in ack["error"]["message"]
        for socket, signal in zip(sockets, gone, strict=True):
            told = await socket.wait_for("auth:expired")
            assert "expired" in told["message"]
            await asyncio.wait_for(signal.wait(), 10)
            assert not socket.sio.connected
            assert len(socket.received("auth:expired")) == 1
        assert host.sio.connected

        # Nothing changed: the host's log ends at the message sent in time.
        replay = await host.ok("class:resync", {"class_id": class_id, "after_seq": seq - 1})
        assert [e["data"]["message"]["text"] for e in replay["events"]] == ["still here"]
        assert replay["seq"] == seq
        history = await platform.call("GET", f"/api/live-classes/{class_id}/chat", platform.mentor)
        assert [m["text"] for m in history.json()["data"]] == ["still here"]
        assert before["message"]["text"] == "still here"

        # The host speaks while the pupil is away; the pupil reconnects with a fresh token.
        await host.ok("chat:send", {"class_id": class_id, "text": "where did you go?"})
        fresh = platform.person(pupil.user_id, pupil.name, Role.STUDENT)
        async with connected(platform.server.url, fresh) as (back,):
            await back.join(class_id)
            missed = await back.ok("class:resync", {"class_id": class_id, "after_seq": seq})
            assert [e["data"]["message"]["text"] for e in missed["events"]] == ["where did you go?"]
            await back.ok("chat:send", {"class_id": class_id, "text": "back"})


async def test_the_connect_itself_refuses_an_expired_token(platform: Platform) -> None:
    stale = issue_token(
        platform.server.settings,
        sub="student-1",
        org=platform.org,
        role=Role.STUDENT,
        ttl=-timedelta(seconds=platform.server.settings.jwt_leeway_seconds + 60),
    )
    client = Client(Person("student-1", "Sam", Role.STUDENT, stale))
    errors: list[Any] = []

    async def connect_error(data: Any) -> None:
        errors.append(data)

    client.sio.on("connect_error", handler=connect_error)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(platform.server.url)
    refusal = errors[0]["data"]
    assert refusal["code"] == "unauthorized" and "expired" in refusal["message"], errors
