"""Class events: the durable per-class log and the seam every broadcast goes through.

A durable event is appended inside the same transaction as the change it
reports, taking the class's next ``seq`` from ``live_classes.last_seq``
(``UPDATE ... RETURNING``), so ``seq`` is gapless and shared by all processes.
It is published only after that transaction commits: a client never sees an
event whose change could still roll back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic_core import to_jsonable_python
from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.tables import class_events, live_classes

__all__ = ["Broadcaster", "ClassEvent", "Coalesced", "append_event"]


@dataclass(frozen=True, slots=True)
class ClassEvent:
    class_id: str
    name: str
    data: dict[str, Any]
    seq: int | None = None


class Coalesced(enum.StrEnum):
    """Ephemeral changes sent in batches (at most 4 a second per class and kind)."""

    VOTES = "question:votes"
    RESULTS = "poll:results"
    REACTIONS = "reaction:burst"


class Broadcaster(Protocol):
    """Delivers class events to the sockets in the class's room, on every process.

    ``publish`` never raises: the change it reports is already committed, so a
    delivery failure is logged and clients recover it with ``class:resync``.
    """

    async def publish(self, event: ClassEvent) -> None: ...

    def changed(self, class_id: str, kind: Coalesced, key: str) -> None:
        """Note an ephemeral change (a question's votes, a poll's results, one reaction)."""

    async def remove_user(self, class_id: str, user_id: str, reason: str | None) -> None:
        """Take a removed user's sockets out of the class, on every process."""


# Built once: every durable event runs both, and building a statement per call
# costs about as much CPU as SQLite running it.
_NEXT_SEQ = (
    update(live_classes)
    .where(live_classes.c.id == bindparam("event_class_id"))
    .values(last_seq=live_classes.c.last_seq + 1)
    .returning(live_classes.c.last_seq)
)
_STORE_EVENT = insert(class_events)


async def append_event(
    conn: AsyncConnection,
    class_id: str,
    name: str,
    data: dict[str, Any],
    *,
    now: datetime,
) -> ClassEvent:
    """Take the next ``seq`` of the class and store the event; call inside a write."""
    seq = (await conn.execute(_NEXT_SEQ, {"event_class_id": class_id})).scalar_one()
    # Stored and broadcast as JSON-ready values (times as ISO strings with Z).
    payload: dict[str, Any] = to_jsonable_python({"class_id": class_id, "seq": seq, **data})
    await conn.execute(
        _STORE_EVENT,
        {"class_id": class_id, "seq": seq, "event": name, "data": payload, "created_at": now},
    )
    return ClassEvent(class_id=class_id, name=name, data=payload, seq=seq)
