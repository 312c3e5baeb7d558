"""Q&A: ask (optionally anonymous), vote, answer, moderate, list.

Anonymity: the author's id is stored (admins may read it over HTTP) but no
rendering for students or hosts ever includes it, and events are stored
already anonymised.  Votes are exact under concurrency: the vote row's
primary key makes a second vote a no-op, and the counter moves only when a
row was really inserted or deleted, under the question's row lock.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from sqlalchemy import RowMapping, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import question_votes, questions
from ..errors import NotFound
from ..schemas.common import Page, UserRef
from ..schemas.interactions import QuestionAskBody, QuestionOut
from .access import load_class
from .context import ServiceContext
from .events import Coalesced, append_event
from .gate import Actor, Family, enter, new_id
from .ratelimit import Limit
from .visibility import question_scope, reveals_author

__all__ = [
    "answer",
    "ask",
    "listing",
    "moderate",
    "of_class",
    "render",
    "visible",
    "vote",
    "vote_counts",
    "voted_by",
    "voted_by_each",
]

_q = questions.c
_v = question_votes.c


def status_of(row: RowMapping) -> Literal["open", "answered", "hidden"]:
    if row["hidden"]:
        return "hidden"
    return "answered" if row["answered_at"] is not None else "open"


def render(row: RowMapping, *, voted: bool = False, reveal_author: bool = False) -> QuestionOut:
    """``reveal_author`` only for admins over HTTP; otherwise anonymous means ``null``."""
    show = reveal_author or not row["anonymous"]
    return QuestionOut(
        id=row["id"],
        text=row["text"],
        author=UserRef(id=row["user_id"], name=row["user_name"], role=row["user_role"])
        if show
        else None,
        anonymous=row["anonymous"],
        votes=row["votes"],
        voted=voted,
        status=status_of(row),
        pinned=row["pinned"],
        answer=row["answer"],
        asked_at=row["asked_at"],
        answered_at=row["answered_at"],
    )


async def ask(
    ctx: ServiceContext, principal: Principal, class_id: str, body: QuestionAskBody
) -> QuestionOut:
    actor = await enter(ctx, principal, class_id, family=Family.QA)
    await actor.limit(ctx, Limit.QUESTIONS)
    now = ctx.clock()
    values = {
        "id": new_id(),
        "class_id": class_id,
        "user_id": actor.user_id,
        "user_name": principal.name,
        "user_role": actor.role.value,
        "text": body.text,
        "anonymous": body.anonymous,
        "hidden": False,
        "pinned": False,
        "answer": None,
        "answered_at": None,
        "votes": 0,
        "asked_at": now,
    }
    async with ctx.db.write() as conn:
        await conn.execute(insert(questions).values(**values))
        question = render(values)  # type: ignore[arg-type]
        event = await append_event(
            conn, class_id, "question:new", {"question": question.model_dump(mode="json")}, now=now
        )
    await ctx.broadcaster.publish(event)
    return question


async def vote(
    ctx: ServiceContext, principal: Principal, class_id: str, question_id: str, *, up: bool
) -> int:
    """Add or remove the caller's one vote; returns the exact count after it."""
    actor = await enter(ctx, principal, class_id, family=Family.QA)
    async with ctx.db.write() as conn:
        await _find(conn, actor, question_id)
        if up:
            changed = (
                await conn.execute(
                    ctx.db.upsert(question_votes)
                    .values(question_id=question_id, user_id=actor.user_id, voted_at=ctx.clock())
                    .on_conflict_do_nothing(index_elements=["question_id", "user_id"])
                )
            ).rowcount
        else:
            changed = (
                await conn.execute(
                    delete(question_votes).where(
                        _v.question_id == question_id, _v.user_id == actor.user_id
                    )
                )
            ).rowcount
        if changed:
            votes = (
                await conn.execute(
                    update(questions)
                    .where(_q.id == question_id)
                    .values(votes=_q.votes + (1 if up else -1))
                    .returning(_q.votes)
                )
            ).scalar_one()
        else:
            votes = int(await conn.scalar(select(_q.votes).where(_q.id == question_id)) or 0)
    if changed:
        ctx.broadcaster.changed(class_id, Coalesced.VOTES, question_id)
    return int(votes)


async def answer(
    ctx: ServiceContext, principal: Principal, class_id: str, question_id: str, text: str | None
) -> QuestionOut:
    actor = await enter(
        ctx, principal, class_id, family=Family.QA, hosts_only=True, moderation=True
    )
    now = ctx.clock()
    return await _change(ctx, actor, question_id, {"answer": text, "answered_at": now})


_ACTIONS: dict[str, dict[str, object]] = {
    "hide": {"hidden": True},
    "unhide": {"hidden": False},
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
    "reopen": {"answer": None, "answered_at": None},
}


async def moderate(
    ctx: ServiceContext, principal: Principal, class_id: str, question_id: str, action: str
) -> QuestionOut:
    actor = await enter(
        ctx, principal, class_id, family=Family.QA, hosts_only=True, moderation=True
    )
    return await _change(ctx, actor, question_id, _ACTIONS[action])


async def _change(
    ctx: ServiceContext, actor: Actor, question_id: str, values: dict[str, object]
) -> QuestionOut:
    now = ctx.clock()
    async with ctx.db.write() as conn:
        await _find(conn, actor, question_id)
        row = (
            (
                await conn.execute(
                    update(questions)
                    .where(_q.id == question_id)
                    .values(**values)
                    .returning(questions)
                )
            )
            .mappings()
            .one()
        )
        question = render(row)
        event = await append_event(
            conn,
            actor.class_id,
            "question:updated",
            {"question": question.model_dump(mode="json")},
            now=now,
        )
    await ctx.broadcaster.publish(event)
    return question


async def _find(conn: AsyncConnection, actor: Actor, question_id: str) -> RowMapping:
    row = (
        (
            await conn.execute(
                select(questions).where(_q.id == question_id, _q.class_id == actor.class_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None or (row["hidden"] and not actor.is_host):
        raise NotFound("no such question in this class")
    return row


async def visible(
    conn: AsyncConnection,
    class_id: str,
    user_id: str,
    *,
    is_host: bool,
    reveal_authors: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[QuestionOut], int]:
    """Questions the viewer may see (hidden ones for hosts only), in asking order."""
    conditions = [_q.class_id == class_id, question_scope(is_host=is_host)]
    total = int(await conn.scalar(select(func.count()).where(*conditions)) or 0)
    query = select(questions).where(*conditions).order_by(_q.asked_at, _q.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = (await conn.execute(query)).mappings().all()
    mine = await voted_by(conn, user_id, class_id)
    return [render(r, voted=r["id"] in mine, reveal_author=reveal_authors) for r in rows], total


async def of_class(conn: AsyncConnection, class_id: str) -> list[RowMapping]:
    """Every question of the class, hidden ones too, in asking order: show each viewer
    those :func:`~.visibility.sees_question` lets them see."""
    query = select(questions).where(_q.class_id == class_id).order_by(_q.asked_at, _q.id)
    return list((await conn.execute(query)).mappings().all())


async def voted_by(conn: AsyncConnection, user_id: str, class_id: str) -> set[str]:
    """The questions of the class the user voted for."""
    found = await conn.scalars(_VOTED_BY, {"user_id": user_id, "class_id": class_id})
    return set(found.all())


_VOTED_BY = (
    select(_v.question_id)
    .join(questions, _q.id == _v.question_id)
    .where(_v.user_id == bindparam("user_id"), _q.class_id == bindparam("class_id"))
)


async def voted_by_each(
    conn: AsyncConnection, callers: Collection[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    """:func:`voted_by` for many ``(user_id, class_id)`` in one query; a caller who
    voted for nothing is absent."""
    found: dict[tuple[str, str], set[str]] = {}
    if not callers:
        return found
    users, classes = {u for u, _ in callers}, {c for _, c in callers}
    rows = await conn.execute(_VOTED_BY_EACH, {"user_ids": list(users), "class_ids": list(classes)})
    for user_id, class_id, question_id in rows:
        if (user_id, class_id) in callers:
            found.setdefault((user_id, class_id), set()).add(question_id)
    return found


_VOTED_BY_EACH = (
    select(_v.user_id, _q.class_id, _v.question_id)
    .join(questions, _q.id == _v.question_id)
    .where(
        _v.user_id.in_(bindparam("user_ids", expanding=True)),
        _q.class_id.in_(bindparam("class_ids", expanding=True)),
    )
)


async def listing(
    ctx: ServiceContext, principal: Principal, class_id: str, page: Page
) -> tuple[list[QuestionOut], int]:
    """HTTP list: admins (only) see anonymous authors."""
    async with ctx.db.read() as conn:
        access = await load_class(conn, principal, class_id)
        return await visible(
            conn,
            class_id,
            principal.user_id,
            is_host=access.role.is_host,
            reveal_authors=reveals_author(is_admin=principal.is_admin, over_http=True),
            limit=page.limit,
            offset=page.offset,
        )


async def vote_counts(
    conn: AsyncConnection, class_id: str, ids: list[str]
) -> list[dict[str, object]]:
    """Current counts of these questions, for the coalesced ``question:votes`` batch."""
    rows = await conn.execute(
        select(_q.id, _q.votes)
        .where(_q.class_id == class_id, _q.id.in_(ids), _q.hidden.is_(False))
        .order_by(_q.id)
    )
    return [{"question_id": qid, "votes": votes} for qid, votes in rows.all()]
