"""``presence:update``: each class's presence changes, batched into the count and its deltas.

Changes (a user came online or went offline, as :class:`.presence.Presence`
reports them) are coalesced like every ephemeral kind (at most 4 updates a
second per class and process).  An update carries the exact count when sent
and the net changes since this process's previous update, at most
``DELTA_MAX`` users a list, ``truncated`` when more changed; its cost does
not depend on the class size.

With several processes, two processes' updates can cross on their way to a
client, which may then keep an older count.  So a process re-reads the count
``SETTLE_SECONDS`` after its last update of a class and sends it again (with
empty lists, through the same batching) when it changed meanwhile: the last
update a client gets from every process then carries the final count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..schemas.common import UserRef
from .coalesce import Coalescer
from .presence import Presence, net_changes

__all__ = ["DELTA_MAX", "PresenceUpdates"]

DELTA_MAX = 50
SETTLE_SECONDS = 1.0

Change = tuple[bool, UserRef] | None  # ``None``: only re-check the count
Send = Callable[[str, dict[str, Any]], Awaitable[None]]


class PresenceUpdates:
    def __init__(self, presence: Presence, send: Send, *, settle: float = SETTLE_SECONDS) -> None:
        self._presence = presence
        self._send = send
        self._settle = settle
        self._batch: Coalescer[Change] = Coalescer(self._flush)
        self._sent: dict[str, int] = {}  # the count of this process's last update, per class
        self._rechecks: dict[str, asyncio.TimerHandle] = {}
        presence.on_change(self.changed)

    def changed(self, class_id: str, online: bool, user: UserRef) -> None:
        self._batch.add(class_id, (online, user))

    async def close(self) -> None:
        for timer in self._rechecks.values():
            timer.cancel()
        self._rechecks.clear()
        await self._batch.close()

    async def _flush(self, class_id: str, items: list[Change]) -> None:
        changes = [item for item in items if item is not None]
        joined, left = net_changes(changes)
        count = await self._presence.count(class_id)
        if not joined and not left and count == self._sent.get(class_id):
            return  # nothing anyone would see differently
        await self._send(
            class_id,
            {
                "class_id": class_id,
                "count": count,
                "joined": [u.model_dump() for u in joined[:DELTA_MAX]],
                "left": [u.model_dump() for u in left[:DELTA_MAX]],
                "truncated": max(len(joined), len(left)) > DELTA_MAX,
            },
        )
        self._sent[class_id] = count
        if self._presence.shared:
            self._recheck_later(class_id)

    def _recheck_later(self, class_id: str) -> None:
        timer = self._rechecks.pop(class_id, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._rechecks[class_id] = loop.call_later(self._settle, self._recheck, class_id)

    def _recheck(self, class_id: str) -> None:
        del self._rechecks[class_id]
        self._batch.add(class_id, None)
