"""Socket.IO clients for tests: record every event received and call events with acks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import socketio

from .platform import Person

__all__ = ["Client", "connected", "live_class"]

Predicate = Callable[[dict[str, Any]], bool]


class Client:
    def __init__(self, person: Person) -> None:
        self.person = person
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self._presence: dict[str, tuple[int, list[dict[str, Any]]]] = {}

        async def record(event: str, data: Any = None) -> None:
            self.events.append((event, data))
            self._changed.set()

        self.sio.on("*", handler=record)

    async def connect(self, url: str) -> None:
        await self.sio.connect(
            url, auth={"token": self.person.token}, transports=["websocket"], wait_timeout=10
        )

    async def call(self, event: str, payload: Any = None, *, within: float = 30) -> Any:
        if payload is None:
            return await self.sio.call(event, timeout=within)
        return await self.sio.call(event, payload, timeout=within)

    async def ok(self, event: str, payload: Any) -> dict[str, Any]:
        ack = await self.call(event, payload)
        assert ack["ok"] is True, (event, payload, ack)
        result: dict[str, Any] = ack
        return result

    async def join(self, class_id: str) -> dict[str, Any]:
        before = len(self.events)
        snapshot: dict[str, Any] = (await self.ok("class:join", {"class_id": class_id}))["snapshot"]
        self._presence[class_id] = (before, snapshot["presence"]["users"])
        return snapshot

    def online(self, class_id: str) -> dict[str, dict[str, Any]]:
        """Who this client believes is online: the snapshot's users with every
        ``presence:update`` since the join applied (exact while fewer than 100
        are online and no update was truncated)."""
        since, users = self._presence[class_id]
        online = {u["id"]: u for u in users}
        for event, data in self.events[since:]:
            if event == "presence:update" and data["class_id"] == class_id:
                for user in data["left"]:
                    online.pop(user["id"], None)
                online.update((user["id"], user) for user in data["joined"])
        return online

    async def wait_for_online(
        self, class_id: str, user_ids: set[str], *, within: float = 10
    ) -> dict[str, Any]:
        """Until :meth:`online` is ``user_ids`` and the last update's count agrees; that update."""

        async def settled() -> dict[str, Any]:
            while True:
                updates = [
                    d
                    for e, d in self.events
                    if e == "presence:update" and d["class_id"] == class_id
                ]
                if (
                    updates
                    and updates[-1]["count"] == len(user_ids)
                    and set(self.online(class_id)) == user_ids
                ):
                    last: dict[str, Any] = updates[-1]
                    return last
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(settled(), within)

    def received(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    async def wait_for(
        self, name: str, predicate: Predicate = lambda _: True, *, within: float = 10
    ) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                for event, data in self.events:
                    if event == name and predicate(data):
                        found: dict[str, Any] = data
                        return found
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), within)

    async def close(self) -> None:
        await self.sio.disconnect()


@asynccontextmanager
async def connected(url: str, *people: Person) -> AsyncIterator[list[Client]]:
    clients = [Client(person) for person in people]
    try:
        await asyncio.gather(*(c.connect(url) for c in clients))
        yield clients
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def live_class(platform: Any, *, start: bool = True, **fields: Any) -> str:
    """Schedule a class (``fields`` override) and start it unless ``start`` is false."""
    created = await platform.schedule(**fields)
    if start:
        started = await platform.call(
            "POST", f"/api/live-classes/{created['id']}/start", platform.mentor
        )
        assert started.status_code == 200, started.text
    class_id: str = created["id"]
    return class_id
