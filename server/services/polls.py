"""Polls: open (four kinds, quizzes, anonymous, three results visibilities), vote, close.

One vote row per (poll, participant): the primary key plus an upsert makes a
re-vote replace the earlier one and keeps tallies exact under any
concurrency; tallies are always counted from the rows, never kept aside.
A vote takes a share lock on the poll row, so it cannot land after the
poll's close commits.  Votes cast at the same time (a poll storm) are
stored together, one transaction for a batch (``GroupCommit``), each
ballot still refused or counted on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Row, RowMapping, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db import Database
from ..db.database import upsert_in
from ..db.group_commit import GroupCommit
from ..db.tables import poll_votes, polls
from ..domain.polls import Ballot, Tally, check_choice, tally
from ..errors import Closed, Forbidden, LiveclassError, NotFound
from ..outbound.outbox import EventType, emit_class
from ..schemas.common import UserRef
from ..schemas.interactions import (
    ChoiceResults,
    PollCreateBody,
    PollOut,
    PollView,
    RatingResults,
    Results,
    TextResults,
)
from .access import load_class
from .context import ServiceContext
from .events import Coalesced, append_event
from .gate import Family, enter, new_id
from .visibility import names_voters, sees_correct, sees_tally

__all__ = [
    "ClassPoll",
    "close",
    "create",
    "listing",
    "of_class",
    "poll_row",
    "results",
    "results_for",
    "views",
    "vote",
    "votes_of",
    "votes_of_each",
]

_p = polls.c
_pv = poll_votes.c


def render(row: RowMapping, *, is_host: bool) -> PollOut:
    return PollOut(
        id=row["id"],
        question=row["question"],
        kind=row["kind"],
        options=row["options"],
        anonymous=row["anonymous"],
        results=row["results"],
        status=row["status"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        correct=row["correct"] if sees_correct(is_host=is_host, status=row["status"]) else None,
    )


async def create(
    ctx: ServiceContext, principal: Principal, class_id: str, body: PollCreateBody
) -> PollOut:
    await enter(ctx, principal, class_id, family=Family.POLLS, hosts_only=True)
    now = ctx.clock()
    values = {
        "id": new_id(),
        "class_id": class_id,
        "question": body.question,
        "kind": body.kind,
        "options": body.options or [],
        "anonymous": body.anonymous,
        "results": body.results,
        "correct": sorted(body.correct) if body.correct is not None else None,
        "status": "open",
        "created_by": principal.user_id,
        "opened_at": now,
        "closed_at": None,
    }
    async with ctx.db.write() as conn:
        await conn.execute(polls.insert().values(**values))
        poll = render(values, is_host=True)  # type: ignore[arg-type]
        event = await append_event(
            conn, class_id, "poll:opened", {"poll": poll.model_dump(mode="json")}, now=now
        )
    await ctx.broadcaster.publish(event)
    return poll


# Built once (a vote is a hot path): the poll row under a share lock, and the ballot upsert.
_POLL_TO_VOTE = (
    select(polls)
    .where(_p.id == bindparam("poll_id"), _p.class_id == bindparam("class_id"))
    .with_for_update(read=True)
)


def _ballot_upsert(dialect: str) -> Any:
    insert = upsert_in(dialect, poll_votes)
    replaced = {name: insert.excluded[name] for name in ("choice", "voted_at", "user_name")}
    return insert.on_conflict_do_update(index_elements=["poll_id", "user_id"], set_=replaced)


_CAST_VOTE = {dialect: _ballot_upsert(dialect) for dialect in ("postgresql", "sqlite")}


async def vote(
    ctx: ServiceContext, principal: Principal, class_id: str, poll_id: str, choice: Any
) -> None:
    """Participants only; a second vote while open replaces the first."""
    refused = await _ballot_box(ctx).submit(
        _Ballot(principal, class_id, poll_id, choice, ctx.clock())
    )
    if refused is not None:
        raise refused
    ctx.broadcaster.changed(class_id, Coalesced.RESULTS, poll_id)


@dataclass(frozen=True, slots=True)
class _Ballot:
    voter: Principal
    class_id: str
    poll_id: str
    choice: Any
    at: datetime


# Votes cast together (a poll storm) go in one transaction: see GroupCommit.
_BallotBox = GroupCommit[_Ballot, LiveclassError | None]
_ballot_boxes: WeakKeyDictionary[Database, _BallotBox] = WeakKeyDictionary()


def _ballot_box(ctx: ServiceContext) -> _BallotBox:
    box = _ballot_boxes.get(ctx.db)
    if box is None:
        box = _ballot_boxes[ctx.db] = GroupCommit(partial(_cast, ctx))
    return box


async def _cast(ctx: ServiceContext, ballots: list[_Ballot]) -> list[LiveclassError | None]:
    """Store ballots in one transaction, each voter's access (the gate) checked once per
    class and each poll locked and checked once; per ballot ``None`` or why it was
    refused.  Of one voter's ballots for a poll the last counts."""
    refusals: list[LiveclassError | None] = []
    stored: dict[tuple[str, str], dict[str, Any]] = {}
    async with ctx.db.write() as conn:
        admitted: dict[tuple[Principal, str], LiveclassError | None] = {}
        found: dict[tuple[str, str], RowMapping | None] = {}
        for ballot in ballots:
            voter = (ballot.voter, ballot.class_id)
            if voter not in admitted:
                admitted[voter] = await _may_vote(ctx, conn, *voter)
            key = (ballot.class_id, ballot.poll_id)
            try:
                if (refused := admitted[voter]) is not None:
                    raise refused
                if key not in found:
                    parameters = {"poll_id": ballot.poll_id, "class_id": ballot.class_id}
                    found[key] = (await conn.execute(_POLL_TO_VOTE, parameters)).mappings().first()
                stored[(ballot.poll_id, ballot.voter.user_id)] = _stored(ballot, found[key])
            except LiveclassError as exc:
                refusals.append(exc)
            else:
                refusals.append(None)
        if stored:
            await conn.execute(_CAST_VOTE[conn.dialect.name], list(stored.values()))
    return refusals


async def _may_vote(
    ctx: ServiceContext, conn: AsyncConnection, voter: Principal, class_id: str
) -> LiveclassError | None:
    """The gate for a vote (participants only), checked in the ballots' transaction."""
    try:
        await enter(ctx, voter, class_id, family=Family.POLLS, participants_only=True, within=conn)
    except LiveclassError as exc:
        return exc
    return None


def _stored(ballot: _Ballot, poll: RowMapping | None) -> dict[str, Any]:
    """The vote row of a ballot for ``poll`` (``None``: not in the class), or raise."""
    if poll is None:
        raise NotFound("no such poll in this class")
    if poll["status"] != "open":
        raise Closed("the poll is closed")
    return {
        "poll_id": ballot.poll_id,
        "user_id": ballot.voter.user_id,
        "choice": check_choice(poll["kind"], len(poll["options"]), ballot.choice),
        "voted_at": ballot.at,
        "user_name": ballot.voter.name,
    }


async def close(
    ctx: ServiceContext, principal: Principal, class_id: str, poll_id: str
) -> tuple[PollOut, Results]:
    await enter(ctx, principal, class_id, family=Family.POLLS, hosts_only=True, moderation=True)
    now = ctx.clock()
    async with ctx.db.write() as conn:
        await poll_row(conn, class_id, poll_id)
        row = (
            (
                await conn.execute(
                    update(polls)
                    .where(_p.id == poll_id, _p.status == "open")
                    .values(status="closed", closed_at=now)
                    .returning(polls)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise Closed("the poll is already closed")
        poll = render(row, is_host=True)
        outcome = await results_for(conn, row, is_host=True)
        # Voters are named only when the poll is not anonymous (as hosts see it).
        await emit_class(
            conn,
            class_id,
            EventType.POLL_CLOSED,
            at=now,
            extra={
                "poll": poll.model_dump(mode="json"),
                "results": outcome.model_dump(mode="json"),
            },
        )
        event = await append_event(
            conn,
            class_id,
            "poll:closed",
            {"poll": poll.model_dump(mode="json"), "results": outcome.model_dump(mode="json")},
            now=now,
        )
    await ctx.broadcaster.publish(event)
    return poll, outcome


async def results(
    ctx: ServiceContext, principal: Principal, class_id: str, poll_id: str
) -> Results:
    """HTTP: the results if the poll's visibility lets the caller see them."""
    async with ctx.db.read() as conn:
        access = await load_class(conn, principal, class_id)
        row = await poll_row(conn, class_id, poll_id)
        is_host = access.role.is_host
        if not sees_tally(is_host=is_host, results=row["results"], status=row["status"]):
            raise Forbidden("this poll's results are not visible to you now")
        return await results_for(conn, row, is_host=is_host)


async def results_for(conn: AsyncConnection, row: RowMapping, *, is_host: bool) -> Results:
    """Tallies of one poll; hosts also get voters when the poll is not anonymous."""
    return _results(row, await _ballots(conn, row), is_host=is_host)


async def _ballots(conn: AsyncConnection, row: RowMapping) -> Sequence[Row[Any, Any, Any]]:
    """(voter id, voter name, choice) of every vote, in voting order."""
    return (
        await conn.execute(
            select(_pv.user_id, _pv.user_name, _pv.choice)
            .where(_pv.poll_id == row["id"])
            .order_by(_pv.voted_at, _pv.user_id)
        )
    ).all()


def _results(row: RowMapping, ballots: Sequence[Row[Any, Any, Any]], *, is_host: bool) -> Results:
    names = {user_id: name for user_id, name, _ in ballots}
    counted = tally(row["kind"], len(row["options"]), (Ballot(u, c) for u, _, c in ballots))
    named = names_voters(is_host=is_host, anonymous=row["anonymous"])
    return _shape(row["kind"], counted, names if named else None)


def _shape(kind: str, counted: Tally, names: dict[str, str] | None) -> Results:
    def people(ids: list[str]) -> list[UserRef]:
        assert names is not None
        return [UserRef(id=i, name=names[i], role="participant") for i in ids]

    per_option = [people(ids) for ids in counted.voters] if names is not None else None
    if kind == "text":
        return TextResults(
            total=counted.total,
            answers=counted.answers,
            voters=people(counted.answer_voters) if names is not None else None,
        )
    if kind == "rating":
        return RatingResults(
            total=counted.total, average=counted.average, counts=counted.counts, voters=per_option
        )
    return ChoiceResults(total=counted.total, counts=counted.counts, voters=per_option)


@dataclass(frozen=True, slots=True)
class ClassPoll:
    """One poll and its tallies as hosts and as participants see them (``None``: not now)."""

    row: RowMapping
    for_hosts: Results
    for_participants: Results | None

    def view(self, *, is_host: bool, my_vote: Any) -> PollView:
        return PollView(
            **render(self.row, is_host=is_host).model_dump(),
            tally=self.for_hosts if is_host else self.for_participants,
            my_vote=my_vote,
        )


async def of_class(conn: AsyncConnection, class_id: str) -> list[ClassPoll]:
    """Every poll of the class with its tallies, the same for every viewer."""
    rows = (
        (
            await conn.execute(
                select(polls).where(_p.class_id == class_id).order_by(_p.opened_at, _p.id)
            )
        )
        .mappings()
        .all()
    )
    out = []
    for row in rows:
        ballots = await _ballots(conn, row)
        shown = sees_tally(is_host=False, results=row["results"], status=row["status"])
        out.append(
            ClassPoll(
                row,
                for_hosts=_results(row, ballots, is_host=True),
                for_participants=_results(row, ballots, is_host=False) if shown else None,
            )
        )
    return out


async def votes_of(conn: AsyncConnection, user_id: str, class_id: str) -> dict[str, Any]:
    """The user's choice in each poll of the class they voted in."""
    found = await conn.execute(_VOTES_OF, {"user_id": user_id, "class_id": class_id})
    return dict(found.all())


_VOTES_OF = (
    select(_pv.poll_id, _pv.choice)
    .join(polls, _p.id == _pv.poll_id)
    .where(_pv.user_id == bindparam("user_id"), _p.class_id == bindparam("class_id"))
)


async def votes_of_each(
    conn: AsyncConnection, callers: Collection[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """:func:`votes_of` for many ``(user_id, class_id)`` in one query; a caller who
    voted in no poll is absent."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if not callers:
        return found
    users, classes = {u for u, _ in callers}, {c for _, c in callers}
    rows = await conn.execute(_VOTES_OF_EACH, {"user_ids": list(users), "class_ids": list(classes)})
    for user_id, class_id, poll_id, choice in rows:
        if (user_id, class_id) in callers:
            found.setdefault((user_id, class_id), {})[poll_id] = choice
    return found


_VOTES_OF_EACH = (
    select(_pv.user_id, _p.class_id, _pv.poll_id, _pv.choice)
    .join(polls, _p.id == _pv.poll_id)
    .where(
        _pv.user_id.in_(bindparam("user_ids", expanding=True)),
        _p.class_id.in_(bindparam("class_ids", expanding=True)),
    )
)


async def views(
    conn: AsyncConnection, class_id: str, user_id: str, *, is_host: bool
) -> list[PollView]:
    """Every poll of the class as this viewer sees it, with results if visible and their vote."""
    class_polls = await of_class(conn, class_id)
    mine = await votes_of(conn, user_id, class_id)
    return [p.view(is_host=is_host, my_vote=mine.get(p.row["id"])) for p in class_polls]


async def listing(ctx: ServiceContext, principal: Principal, class_id: str) -> list[PollView]:
    async with ctx.db.read() as conn:
        access = await load_class(conn, principal, class_id)
        return await views(conn, class_id, principal.user_id, is_host=access.role.is_host)


async def poll_row(conn: AsyncConnection, class_id: str, poll_id: str) -> RowMapping:
    row = (
        (await conn.execute(select(polls).where(_p.id == poll_id, _p.class_id == class_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("no such poll in this class")
    return row
