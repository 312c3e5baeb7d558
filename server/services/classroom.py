"""The classroom as a whole: the ``class:join`` snapshot, ``class:resync``, and the
seed-era combined interaction history of the HTTP API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import RowMapping, func, literal, select, union_all

from ..auth import Principal
from ..db.group_commit import GroupCommit
from ..db.tables import (
    chat_messages,
    class_events,
    live_classes,
    poll_votes,
    polls,
    questions,
)
from ..errors import LiveclassError
from ..schemas.common import UserRef
from ..schemas.interactions import (
    HandOut,
    InteractionFilter,
    InteractionOut,
    MessageOut,
    PresenceOut,
    Snapshot,
    You,
)
from . import admission, chat, classes, hands
from . import polls as polls_service
from . import questions as questions_service
from .access import ClassAccess, load_class
from .admission import Arrival, Entry
from .classes import DetailParts
from .context import ServiceContext
from .visibility import (
    participant_event,
    question_scope,
    response_id,
    response_scope,
    reveals_author,
    sees_question,
)

__all__ = [
    "RESYNC_PAGE",
    "Admitted",
    "ClassState",
    "Joins",
    "class_state",
    "history",
    "resync",
    "snapshot",
]

RESYNC_PAGE = 500
CHAT_IN_SNAPSHOT = 50

_e = class_events.c


@dataclass(frozen=True, slots=True)
class Admitted:
    """A caller let into the classroom, with their own votes there (for the snapshot)."""

    access: ClassAccess
    voted: set[str]  # question ids
    choices: dict[str, Any]  # poll id -> choice


async def _admit_all(
    ctx: ServiceContext, arrivals: list[Arrival]
) -> list[Admitted | LiveclassError]:
    """``class:join``'s admissions (the rules of :mod:`.admission`) in one transaction;
    per arrival who was admitted or why not (a refusal has written nothing)."""
    async with ctx.db.write() as conn:
        judged = await admission.admit_all(ctx, conn, arrivals, Entry.ROOM)
        callers = {
            (one.principal.user_id, one.class_id)
            for one, access in zip(arrivals, judged, strict=True)
            if not isinstance(access, LiveclassError)
        }
        voted = await questions_service.voted_by_each(conn, callers)
        choices = await polls_service.votes_of_each(conn, callers)
    outcomes: list[Admitted | LiveclassError] = []
    for one, access in zip(arrivals, judged, strict=True):
        if isinstance(access, LiveclassError):
            outcomes.append(access)
            continue
        caller = (one.principal.user_id, one.class_id)
        outcomes.append(
            Admitted(access, voted=voted.get(caller, set()), choices=choices.get(caller, {}))
        )
    return outcomes


@dataclass(frozen=True, slots=True)
class ClassState:
    """The part of a snapshot that is the same for every viewer, read in one go."""

    seq: int
    detail: DetailParts
    questions: list[RowMapping]
    polls: list[polls_service.ClassPoll]
    hands: list[HandOut]
    chat: list[MessageOut]


async def class_state(ctx: ServiceContext, row: RowMapping) -> ClassState:
    """``seq`` is read first, so an event the client also receives live has ``seq`` above
    it only if the state lacks it."""
    class_id = str(row["id"])
    async with ctx.db.read() as conn:
        seq = int(await conn.scalar(select(_seq_of(class_id))) or 0)
        return ClassState(
            seq=seq,
            detail=await classes.detail_parts(ctx, conn, row),
            questions=await questions_service.of_class(conn, class_id),
            polls=await polls_service.of_class(conn, class_id),
            hands=await hands.queue(conn, class_id),
            chat=await chat.recent(conn, class_id, limit=CHAT_IN_SNAPSHOT),
        )


async def snapshot(
    ctx: ServiceContext,
    principal: Principal,
    admitted: Admitted,
    presence: PresenceOut,
    state: ClassState,
) -> Snapshot:
    """Everything a client needs after joining: ``state`` as this caller may see it, with
    their own votes.  ``state`` must have been read after the caller entered the room."""
    access = admitted.access
    is_host = access.role.is_host
    # Provider call first, with no connection held: a host gets a link that works now.
    host_url = await classes.host_url(ctx, access.row) if is_host else None
    detail = state.detail.for_viewer(principal, access)
    if is_host:
        detail = detail.model_copy(update={"host_url": host_url})
    me = UserRef(id=principal.user_id, name=principal.name, role=access.role.value)
    return Snapshot(
        class_=detail,
        you=You(user=me, role=access.role.value),
        seq=state.seq,
        presence=presence,
        hands=state.hands,
        polls=[
            p.view(is_host=is_host, my_vote=admitted.choices.get(p.row["id"])) for p in state.polls
        ],
        questions=[
            questions_service.render(q, voted=q["id"] in admitted.voted)
            for q in state.questions
            if sees_question(is_host=is_host, hidden=q["hidden"])
        ],
        chat=state.chat,
        resources=detail.resources,
    )


class Joins:
    """``class:join``: admissions and snapshots, with the work that joins arriving together
    have in common done once.

    Admissions that arrive while one is being written go together in the
    next transaction (``GroupCommit``).  The joins of one class share one
    read of its :class:`ClassState`: a join waits for the next read of its
    class to *start*, never for one already running, since the caller
    entered the class's rooms before asking, so every event after the
    ``seq`` of that read reaches them live.  One read runs per class at a
    time; the joins arriving meanwhile share the next.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._admissions: GroupCommit[Arrival, Admitted | LiveclassError] = GroupCommit(
            partial(_admit_all, ctx)
        )
        self._next: dict[str, asyncio.Future[ClassState]] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        # Many classes joined at once: their reads hold fewer than the pool's connections.
        self._reads = asyncio.Semaphore(max(1, ctx.settings.database_pool_size - 1))

    async def admit(self, principal: Principal, class_id: str) -> Admitted:
        outcome = await self._admissions.submit(Arrival(principal, class_id, self._ctx.clock()))
        if isinstance(outcome, LiveclassError):
            raise outcome
        return outcome

    async def snapshot(
        self, principal: Principal, admitted: Admitted, presence: PresenceOut
    ) -> Snapshot:
        # Shielded: a join given up (its socket gone) leaves the read to the others.
        state = await asyncio.shield(self._next_read(admitted.access.row))
        return await snapshot(self._ctx, principal, admitted, presence, state)

    def _next_read(self, row: RowMapping) -> asyncio.Future[ClassState]:
        class_id = str(row["id"])
        pending = self._next.get(class_id)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            # Retrieved here too: a failure that no join waits for any more is not logged.
            pending.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._next[class_id] = pending
            task = asyncio.create_task(self._read(row, pending, self._running.get(class_id)))
            self._running[class_id] = task
            task.add_done_callback(lambda done: self._forget(class_id, done))
        return pending

    async def _read(
        self,
        row: RowMapping,
        pending: asyncio.Future[ClassState],
        before: asyncio.Task[None] | None,
    ) -> None:
        if before is not None:
            await asyncio.wait([before])
        del self._next[str(row["id"])]  # joins from now on wait for the read after this one
        try:
            async with self._reads:
                pending.set_result(await class_state(self._ctx, row))
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except Exception as exc:
            pending.set_exception(exc)

    def _forget(self, class_id: str, task: asyncio.Task[None]) -> None:
        if self._running.get(class_id) is task:
            del self._running[class_id]


async def resync(
    ctx: ServiceContext, principal: Principal, class_id: str, after_seq: int
) -> dict[str, Any]:
    """Missed durable events after ``after_seq`` as this caller may see them, ≤500 a call.

    ``reset`` when the log cannot serve the request: ``after_seq`` is ahead of
    the class (a client of another database) or its successor is gone.
    """
    async with ctx.db.read() as conn:
        access = await load_class(conn, principal, class_id)
        latest = int(access.row["last_seq"])
        if after_seq > latest:
            return {"reset": True}
        rows = (
            await conn.execute(
                select(_e.seq, _e.event, _e.data)
                .where(_e.class_id == class_id, _e.seq > after_seq, _e.seq <= latest)
                .order_by(_e.seq)
                .limit(RESYNC_PAGE)
            )
        ).all()
    if (rows and rows[0].seq != after_seq + 1) or (not rows and after_seq < latest):
        return {"reset": True}
    is_host = access.role.is_host
    events = [
        {
            "event": row.event,
            "data": row.data if is_host else participant_event(row.event, row.data),
        }
        for row in rows
    ]
    last = rows[-1].seq if rows else after_seq
    return {"events": events, "seq": latest, "more": last < latest}


def _seq_of(class_id: str) -> Any:
    return select(live_classes.c.last_seq).where(live_classes.c.id == class_id).scalar_subquery()


async def history(
    ctx: ServiceContext,
    principal: Principal,
    class_id: str,
    page: InteractionFilter,
) -> tuple[list[InteractionOut], int]:
    """Chat messages, questions and poll responses in time order; reactions are not stored.

    What each viewer may see of each kind is :mod:`.visibility`'s rule: hidden
    questions only to hosts, anonymous authors only to admins, a poll response
    only to its voter and (when the poll is not anonymous) to hosts.
    """
    async with ctx.db.read() as conn:
        access = await load_class(conn, principal, class_id)
        query = _history_query(class_id, page.type, principal.user_id, is_host=access.role.is_host)
        if query is None:
            return [], 0
        total = int(await conn.scalar(select(func.count()).select_from(query.subquery())) or 0)
        sub = query.subquery()
        rows = (
            (
                await conn.execute(
                    select(sub)
                    .order_by(sub.c.created_at, sub.c.id)
                    .limit(page.limit)
                    .offset(page.offset)
                )
            )
            .mappings()
            .all()
        )
    key = ctx.settings.encryption_key
    reveal = reveals_author(is_admin=principal.is_admin, over_http=True)
    return [_interaction(row, key, reveal=reveal) for row in rows], total


def _history_query(class_id: str, kind: str | None, user_id: str, *, is_host: bool) -> Any:
    m, q, p, v = chat_messages.c, questions.c, polls.c, poll_votes.c
    no_poll = literal(None, chat_messages.c.id.type).label("poll_id")
    parts = []
    if kind in (None, "chat"):
        parts.append(
            select(
                m.id,
                literal("chat").label("kind"),
                m.user_id,
                m.user_name,
                m.user_role,
                m.text.label("content"),
                literal(False).label("anonymous"),
                m.sent_at.label("created_at"),
                no_poll,
            ).where(m.class_id == class_id, m.deleted_at.is_(None))
        )
    if kind in (None, "question"):
        parts.append(
            select(
                q.id,
                literal("question").label("kind"),
                q.user_id,
                q.user_name,
                q.user_role,
                q.text.label("content"),
                q.anonymous.label("anonymous"),
                q.asked_at.label("created_at"),
                no_poll,
            ).where(q.class_id == class_id, question_scope(is_host=is_host))
        )
    if kind in (None, "poll_response"):
        parts.append(
            select(
                # An ordering key only: the id shown is response_id(), which names no one.
                (v.poll_id + ":" + v.user_id).label("id"),
                literal("poll_response").label("kind"),
                v.user_id,
                v.user_name,
                literal("participant").label("user_role"),
                func.cast(v.choice, chat_messages.c.text.type).label("content"),
                p.anonymous.label("anonymous"),
                v.voted_at.label("created_at"),
                v.poll_id,
            )
            .select_from(poll_votes.join(polls, polls.c.id == v.poll_id))
            .where(p.class_id == class_id, response_scope(user_id=user_id, is_host=is_host))
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _interaction(row: Any, key: str, *, reveal: bool) -> InteractionOut:
    if row["kind"] == "poll_response":
        # Anonymous poll: no author for anyone (the voter's own row included).
        return InteractionOut(
            id=response_id(key, row["poll_id"], row["user_id"]),
            interaction_type="poll_response",
            user=None if row["anonymous"] else _user(row),
            content=row["content"],
            is_anonymous=bool(row["anonymous"]),
            created_at=row["created_at"],
        )
    return InteractionOut(
        id=row["id"],
        interaction_type=row["kind"],
        user=_user(row) if reveal or not row["anonymous"] else None,
        content=row["content"],
        is_anonymous=bool(row["anonymous"]),
        created_at=row["created_at"],
    )


def _user(row: Any) -> UserRef:
    return UserRef(id=row["user_id"], name=row["user_name"], role=row["user_role"])
