"""The classroom as a whole: the ``class:join`` snapshot, ``class:resync``, and the
seed-era combined interaction history of the HTTP API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, union_all

from ..auth import Principal
from ..db.tables import (
    chat_messages,
    class_events,
    live_classes,
    poll_votes,
    polls,
    questions,
)
from ..schemas.common import UserRef
from ..schemas.interactions import InteractionFilter, InteractionOut, PresenceOut, Snapshot, You
from . import admission, chat, classes, hands
from . import polls as polls_service
from . import questions as questions_service
from .access import ClassAccess, load_class
from .admission import Entry
from .context import ServiceContext
from .visibility import (
    participant_event,
    question_scope,
    response_id,
    response_scope,
    reveals_author,
)

__all__ = ["RESYNC_PAGE", "admit", "history", "resync", "snapshot"]

RESYNC_PAGE = 500
CHAT_IN_SNAPSHOT = 50

_e = class_events.c


async def admit(ctx: ServiceContext, principal: Principal, class_id: str) -> ClassAccess:
    """``class:join``'s admission (the rules of :mod:`.admission`) in its own transaction."""
    async with ctx.db.write() as conn:
        return await admission.admit(ctx, conn, principal, class_id, Entry.ROOM, ctx.clock())


async def snapshot(
    ctx: ServiceContext, principal: Principal, access: ClassAccess, presence: PresenceOut
) -> Snapshot:
    """Everything a client needs after joining; ``seq`` is read first, so an event the
    client also receives live has ``seq`` above it only if the snapshot lacks it."""
    class_id = access.class_id
    is_host = access.role.is_host
    # Provider call first, with no connection held: a host gets a link that works now.
    host_url = await classes.host_url(ctx, access.row) if is_host else None
    async with ctx.db.read() as conn:
        seq = int(await conn.scalar(select(_seq_of(class_id))) or 0)
        detail = await classes.detail(ctx, conn, principal, access)
        if is_host:
            detail = detail.model_copy(update={"host_url": host_url})
        visible, _ = await questions_service.visible(
            conn, class_id, principal.user_id, is_host=is_host
        )
        me = UserRef(id=principal.user_id, name=principal.name, role=access.role.value)
        return Snapshot(
            class_=detail,
            you=You(user=me, role=access.role.value),
            seq=seq,
            presence=presence,
            hands=await hands.queue(conn, class_id),
            polls=await polls_service.views(conn, class_id, principal.user_id, is_host=is_host),
            questions=visible,
            chat=await chat.recent(conn, class_id, limit=CHAT_IN_SNAPSHOT),
            resources=detail.resources,
        )


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
