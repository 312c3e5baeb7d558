"""The fan-out seam: every class broadcast goes through :class:`Hub`.

Rooms per class: ``class:{id}`` (everyone), ``class:{id}:hosts`` and
``class:{id}:participants``.  A durable event whose participant view differs
from the stored (host) view goes to the two role rooms separately, otherwise
once to the class room.  Ephemeral kinds are batched by :class:`Coalescer`
(4 a second per class and kind and process) and read their state when sent.

Events from one process are emitted in the order their transactions
committed on that process; across processes a client may see seq 6 before
seq 5 and fills the gap with ``class:resync`` (see docs/realtime.md).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import socketio

from ..db import Database
from ..domain.roles import ClassRole
from ..schemas.common import UserRef
from ..services import polls, questions
from ..services.events import ClassEvent, Coalesced
from ..services.visibility import participant_event, sees_tally
from .broker import Broker
from .coalesce import Coalescer
from .fastpath import Fanout
from .presence import Presence
from .presence_updates import PresenceUpdates

__all__ = ["Hub", "class_of_room", "class_room", "hosts_room", "participants_room"]

log = logging.getLogger("liveclass.realtime")


def class_room(class_id: str) -> str:
    return f"class:{class_id}"


def hosts_room(class_id: str) -> str:
    return f"class:{class_id}:hosts"


def participants_room(class_id: str) -> str:
    return f"class:{class_id}:participants"


def class_of_room(room: str) -> str:
    """The class id of one of the three rooms above."""
    return room.split(":", 2)[1]


class Hub:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        db: Database,
        presence: Presence,
        broker: Broker,
        fanout: Fanout,
    ) -> None:
        self._sio = sio
        self._db = db
        self.presence = presence
        self._broker = broker
        self._fanout = fanout
        broker.on_message(self._on_control)
        broker.on_broadcast(fanout.deliver)
        self._batches: dict[Coalesced, Coalescer[str]] = {
            Coalesced.VOTES: Coalescer(self._flush_votes),
            Coalesced.RESULTS: Coalescer(self._flush_results),
            Coalesced.REACTIONS: Coalescer(self._flush_reactions),
        }
        self._presence_updates = PresenceUpdates(presence, self._send_presence)

    # -- Broadcaster ---------------------------------------------------------------------

    async def publish(self, event: ClassEvent) -> None:
        try:
            view = participant_event(event.name, event.data)
            if view is event.data:
                await self._emit(event.name, event.data, class_room(event.class_id))
            else:
                await self._emit(event.name, event.data, hosts_room(event.class_id))
                await self._emit(event.name, view, participants_room(event.class_id))
        except Exception:
            log.exception("could not publish %s seq %s", event.name, event.seq)

    def changed(self, class_id: str, kind: Coalesced, key: str) -> None:
        self._batches[kind].add(class_id, key)

    async def remove_user(self, class_id: str, user_id: str, reason: str | None) -> None:
        await self._broker.send(
            {"op": "remove", "class_id": class_id, "user_id": user_id, "reason": reason}
        )

    # -- sockets in rooms -----------------------------------------------------------------

    async def join(self, sid: str, class_id: str, user: UserRef, role: ClassRole) -> None:
        await self._sio.enter_room(sid, class_room(class_id))
        role_room = hosts_room(class_id) if role.is_host else participants_room(class_id)
        await self._sio.enter_room(sid, role_room)
        await self._broker.joined(class_id, sid)
        await self.presence.enter(class_id, user, sid)

    async def leave(self, sid: str, class_id: str, user_id: str) -> None:
        for room in (class_room(class_id), hosts_room(class_id), participants_room(class_id)):
            await self._sio.leave_room(sid, room)
        await self._broker.left(class_id, sid)
        await self.presence.leave(class_id, user_id, sid)

    async def disconnected(self, sid: str) -> None:
        """A socket went away: it leaves every class it was in (rooms are cleared by Socket.IO)."""
        await self._broker.gone(sid)
        for class_id, user_id in self.presence.classes_of(sid):
            await self.presence.leave(class_id, user_id, sid)

    async def close(self) -> None:
        await self._presence_updates.close()
        for batch in self._batches.values():
            await batch.close()

    async def _on_control(self, message: dict[str, Any]) -> None:
        if message.get("op") == "remove":
            class_id, user_id = str(message["class_id"]), str(message["user_id"])
            for sid in self.presence.sids(class_id, user_id):
                await self._sio.emit(
                    "participant:removed",
                    {"class_id": class_id, "reason": message.get("reason")},
                    to=sid,
                    ignore_queue=True,
                )
                await self.leave(sid, class_id, user_id)

    # -- coalesced kinds -------------------------------------------------------------------

    async def _flush_votes(self, class_id: str, question_ids: list[str]) -> None:
        async with self._db.read() as conn:
            counts = await questions.vote_counts(conn, class_id, sorted(set(question_ids)))
        if counts:
            await self._emit(
                "question:votes", {"class_id": class_id, "votes": counts}, class_room(class_id)
            )

    async def _flush_results(self, class_id: str, poll_ids: list[str]) -> None:
        for poll_id in sorted(set(poll_ids)):
            async with self._db.read() as conn:
                row = await polls.poll_row(conn, class_id, poll_id)
                for_hosts = await polls.results_for(conn, row, is_host=True)
                for_others = (
                    await polls.results_for(conn, row, is_host=False)
                    if sees_tally(is_host=False, results=row["results"], status=row["status"])
                    else None
                )
            base = {"class_id": class_id, "poll_id": poll_id}
            await self._emit(
                "poll:results",
                {**base, "results": for_hosts.model_dump(mode="json")},
                hosts_room(class_id),
            )
            if for_others is not None:
                await self._emit(
                    "poll:results",
                    {**base, "results": for_others.model_dump(mode="json")},
                    participants_room(class_id),
                )

    async def _flush_reactions(self, class_id: str, emojis: list[str]) -> None:
        await self._emit(
            "reaction:burst",
            {"class_id": class_id, "counts": dict(Counter(emojis))},
            class_room(class_id),
        )

    async def _send_presence(self, class_id: str, update: dict[str, Any]) -> None:
        await self._emit("presence:update", update, class_room(class_id))

    async def _emit(self, name: str, data: dict[str, Any], room: str) -> None:
        """Deliver to this process's sockets in ``room`` (one frame for all), then to the others."""
        encoded = self._fanout.encode(name, data)
        await self._fanout.deliver(room, encoded)
        if isinstance(encoded, str):  # class events are JSON: never binary attachments
            self._broker.publish(class_of_room(room), room, encoded)
