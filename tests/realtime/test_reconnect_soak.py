"""Reconnect soak: 50 participants keep dropping and coming back while the host chats.

Each participant follows the protocol a real client follows: ``class:join``,
then ``class:resync`` from the last ``seq`` it applied, applying events in
``seq`` order (live ones that arrive meanwhile wait their turn, ones already
applied are skipped).  Measured:

- gaps: on one connection, after its resync, live events must arrive without
  a hole (``seq`` n+1 after n);
- duplicates: no ``seq`` arrives twice live on one connection;
- at the end each participant's chat log is exactly the class's, from its
  first join on: nothing missing, nothing twice.

``LIVECLASS_SOAK_SECONDS`` sets how long the host chats (60 in CI).
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio

from server.auth import Role
from tests.support.platform import Person, Platform
from tests.support.sockets import connected, live_class

SECONDS = float(os.environ.get("LIVECLASS_SOAK_SECONDS", "60"))
PARTICIPANTS = 50
CHAT_EVERY = 0.1
STAY = (1.0, 5.0)  # seconds a participant stays connected before dropping


@dataclass
class Participant:
    person: Person
    url: str
    class_id: str
    start: int | None = None
    last: int = 0
    log: list[tuple[int, str]] = field(default_factory=list)
    pending: dict[int, str] = field(default_factory=dict)
    gaps: int = 0
    duplicates: int = 0
    reconnects: int = 0

    def _offer(self, seq: int, message_id: str) -> None:
        """Apply in ``seq`` order: early ones wait in ``pending``, old ones are skipped."""
        if seq > self.last:
            self.pending[seq] = message_id
        while self.last + 1 in self.pending:
            self.last += 1
            self.log.append((self.last, self.pending.pop(self.last)))

    async def session(self, stay: float) -> None:
        """One connection: join, resync, follow live events for ``stay`` seconds, drop."""
        sio = socketio.AsyncClient(reconnection=False)
        live: list[int] = []
        synced_at = 0

        async def on_chat(data: dict[str, Any]) -> None:
            seq = data["seq"]
            if seq in live:
                self.duplicates += 1
            live.append(seq)
            self._offer(seq, data["message"]["id"])

        sio.on("chat:message", on_chat)
        await sio.connect(
            self.url, auth={"token": self.person.token}, transports=["websocket"], wait_timeout=30
        )
        try:
            joined = await sio.call("class:join", {"class_id": self.class_id}, timeout=60)
            assert joined["ok"] is True, joined
            if self.start is None:
                self.start = self.last = joined["snapshot"]["seq"]
            while True:
                page = await sio.call(
                    "class:resync", {"class_id": self.class_id, "after_seq": self.last}, timeout=60
                )
                assert page["ok"] is True and "reset" not in page, page
                for event in page["events"]:
                    if event["event"] == "chat:message":
                        self._offer(event["data"]["seq"], event["data"]["message"]["id"])
                if not page["more"]:
                    break
            synced_at = self.last
            await asyncio.sleep(stay)  # the session's length is the scenario, not a settle time
        finally:
            await sio.disconnect()
        after = sorted(s for s in live if s > synced_at)
        if after and after != list(range(synced_at + 1, after[-1] + 1)):
            self.gaps += 1

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.session(random.uniform(*STAY))
            self.reconnects += 1
        await self.session(0)  # the final catch-up after the host stopped


async def chat_until(host: Any, class_id: str, stop: asyncio.Event) -> int:
    sent = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SECONDS
    while loop.time() < deadline:
        await host.ok("chat:send", {"class_id": class_id, "text": f"m{sent}"})
        sent += 1
        await asyncio.sleep(CHAT_EVERY)  # the host's pace is the scenario
    stop.set()
    return sent


async def everything_after(host: Any, class_id: str, seq: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    while True:
        page = await host.ok("class:resync", {"class_id": class_id, "after_seq": seq})
        found += [
            (e["data"]["seq"], e["data"]["message"]["id"])
            for e in page["events"]
            if e["event"] == "chat:message"
        ]
        seq = page["events"][-1]["data"]["seq"] if page["events"] else seq
        if not page["more"]:
            return found


@pytest.mark.slow
async def test_fifty_clients_dropping_and_resyncing_see_every_message_once(
    platform: Platform,
) -> None:
    people = [platform.person(f"soak-{i}", f"Soak {i}", Role.STUDENT) for i in range(PARTICIPANTS)]
    await platform.sync_course(
        platform.course_id,
        mentors=[platform.mentor.user_id],
        students=[p.user_id for p in people],
    )
    class_id = await live_class(platform)
    followers = [Participant(p, platform.server.url, class_id) for p in people]
    stop = asyncio.Event()
    async with (
        asyncio.timeout(SECONDS + 240),
        connected(platform.server.url, platform.mentor) as (host,),
    ):
        begin = (await host.join(class_id))["seq"]
        sent, *_ = await asyncio.gather(
            chat_until(host, class_id, stop), *(f.run(stop) for f in followers)
        )
        truth = await everything_after(host, class_id, begin)
    assert len(truth) == sent
    assert sum(f.reconnects for f in followers) >= PARTICIPANTS  # everyone dropped at least once
    assert [f.gaps for f in followers] == [0] * PARTICIPANTS
    assert [f.duplicates for f in followers] == [0] * PARTICIPANTS
    for follower in followers:
        assert follower.start is not None
        expected = [(seq, mid) for seq, mid in truth if seq > follower.start]
        assert follower.log == expected, follower.person.user_id
