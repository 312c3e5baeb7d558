"""Socket.IO event handlers: parse -> service -> ack, nothing more.

Every client event answers exactly once with ``{"ok": true, ...}`` or the
error ack of :func:`server.errors.ack_body`; an unexpected exception is logged
and answered ``internal``.  A socket may have at most ``MAX_IN_FLIGHT``
events being processed at once; beyond that it gets ``rate_limited``, so a
client that floods without waiting for acks only slows itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from ..auth import Principal
from ..errors import INTERNAL_ACK, BadRequest, LiveclassError, RateLimited, ack_body
from ..metrics import Metrics
from ..schemas.common import UserRef
from ..schemas.interactions import (
    ChatDelete,
    ChatSend,
    ClassRef,
    HandLower,
    ParticipantRemove,
    PollClose,
    PollCreate,
    PollVote,
    PresenceList,
    PresenceOut,
    QuestionAnswer,
    QuestionAsk,
    QuestionModerate,
    QuestionVote,
    ReactionSend,
    ResourceShare,
    Resync,
)
from ..schemas.text import refuse_control_characters
from ..schemas.validation import invalid
from ..services import (
    chat,
    classroom,
    hands,
    moderation,
    polls,
    questions,
    reactions,
    resources,
)
from ..services.access import load_class
from ..services.context import ServiceContext
from .expiry import TokenExpiry
from .hub import Hub
from .join_slots import JoinSlots
from .packets import REFUSED_EVENT, JsonOnly
from .server import principal_of

__all__ = ["register"]

log = logging.getLogger("liveclass.realtime")

MAX_IN_FLIGHT = 16
PRESENCE_IN_SNAPSHOT = 100

M = TypeVar("M", bound=BaseModel)
Run = Callable[[str, Principal, M], Awaitable[dict[str, Any]]]


def register(sio: socketio.AsyncServer, ctx: ServiceContext, hub: Hub, metrics: Metrics) -> None:
    in_flight: dict[str, int] = {}
    expiry = TokenExpiry(sio, ctx)
    join_slots = JoinSlots()
    joins = classroom.Joins(ctx)

    def on(event: str, model: type[M], run: Run[M]) -> None:
        async def handler(sid: str, *args: Any) -> dict[str, Any]:
            if in_flight.get(sid, 0) >= MAX_IN_FLIGHT:
                return ack_body(RateLimited("too many events in flight", retry_after=1))
            in_flight[sid] = in_flight.get(sid, 0) + 1
            try:
                if (refused := await expiry.refusal(sid)) is not None:
                    return refused
                payload = parse(model, args)
                principal = await principal_of(sio, sid)
                # Every answer is built from JSON types (models dumped in JSON mode).
                return JsonOnly({"ok": True, **await run(sid, principal, payload)})
            except LiveclassError as exc:
                return ack_body(exc)
            except Exception:
                log.exception("socket event %s failed", event)
                return dict(INTERNAL_ACK)
            finally:
                in_flight[sid] -= 1
                if not in_flight[sid]:
                    del in_flight[sid]

        sio.on(event, handler)

    async def join(sid: str, who: Principal, p: ClassRef) -> dict[str, Any]:
        async with join_slots.slot():  # what writes to the database
            admitted = await joins.admit(who, p.class_id)
            role = admitted.access.role
            user = UserRef(id=who.user_id, name=who.name, role=role.value)
            await hub.join(sid, p.class_id, user, role)
        count, users = await hub.presence.page(p.class_id, 0, PRESENCE_IN_SNAPSHOT)
        presence = PresenceOut(count=count, users=users)
        snapshot = await joins.snapshot(who, admitted, presence)
        return {"snapshot": snapshot.model_dump(mode="json", by_alias=True)}

    async def leave(sid: str, who: Principal, p: ClassRef) -> dict[str, Any]:
        async with ctx.db.read() as conn:
            await load_class(conn, who, p.class_id)
        await hub.leave(sid, p.class_id, who.user_id)
        return {}

    async def presence_list(sid: str, who: Principal, p: PresenceList) -> dict[str, Any]:
        async with ctx.db.read() as conn:
            await load_class(conn, who, p.class_id)
        count, users = await hub.presence.page(p.class_id, p.offset, p.limit)
        return {"count": count, "users": [u.model_dump() for u in users]}

    async def resync(sid: str, who: Principal, p: Resync) -> dict[str, Any]:
        return await classroom.resync(ctx, who, p.class_id, p.after_seq)

    async def chat_send(sid: str, who: Principal, p: ChatSend) -> dict[str, Any]:
        return {"message": _json(await chat.send(ctx, who, p.class_id, p))}

    async def chat_delete(sid: str, who: Principal, p: ChatDelete) -> dict[str, Any]:
        await chat.delete(ctx, who, p.class_id, p.message_id)
        return {}

    async def ask(sid: str, who: Principal, p: QuestionAsk) -> dict[str, Any]:
        return {"question": _json(await questions.ask(ctx, who, p.class_id, p))}

    async def vote(sid: str, who: Principal, p: QuestionVote) -> dict[str, Any]:
        votes = await questions.vote(ctx, who, p.class_id, p.question_id, up=p.up)
        return {"question_id": p.question_id, "votes": votes}

    async def answer(sid: str, who: Principal, p: QuestionAnswer) -> dict[str, Any]:
        return {
            "question": _json(await questions.answer(ctx, who, p.class_id, p.question_id, p.text))
        }

    async def moderate(sid: str, who: Principal, p: QuestionModerate) -> dict[str, Any]:
        return {
            "question": _json(
                await questions.moderate(ctx, who, p.class_id, p.question_id, p.action)
            )
        }

    async def poll_create(sid: str, who: Principal, p: PollCreate) -> dict[str, Any]:
        return {"poll": _json(await polls.create(ctx, who, p.class_id, p))}

    async def poll_vote(sid: str, who: Principal, p: PollVote) -> dict[str, Any]:
        await polls.vote(ctx, who, p.class_id, p.poll_id, p.choice)
        return {}

    async def poll_close(sid: str, who: Principal, p: PollClose) -> dict[str, Any]:
        poll, results = await polls.close(ctx, who, p.class_id, p.poll_id)
        return {"poll": _json(poll), "results": _json(results)}

    async def hand_raise(sid: str, who: Principal, p: ClassRef) -> dict[str, Any]:
        return {"hands": [_json(h) for h in await hands.raise_hand(ctx, who, p.class_id)]}

    async def hand_lower(sid: str, who: Principal, p: HandLower) -> dict[str, Any]:
        return {"hands": [_json(h) for h in await hands.lower(ctx, who, p.class_id, p.user_id)]}

    async def react(sid: str, who: Principal, p: ReactionSend) -> dict[str, Any]:
        await reactions.send(ctx, who, p.class_id, p.emoji)
        return {}

    async def share(sid: str, who: Principal, p: ResourceShare) -> dict[str, Any]:
        return {"resource": _json(await resources.share(ctx, who, p.class_id, p))}

    async def remove(sid: str, who: Principal, p: ParticipantRemove) -> dict[str, Any]:
        await moderation.remove(ctx, who, p.class_id, p.user_id, p.reason)
        return {}

    on("class:join", ClassRef, join)
    on("class:leave", ClassRef, leave)
    on("class:resync", Resync, resync)
    on("chat:send", ChatSend, chat_send)
    on("chat:delete", ChatDelete, chat_delete)
    on("question:ask", QuestionAsk, ask)
    on("question:vote", QuestionVote, vote)
    on("question:answer", QuestionAnswer, answer)
    on("question:moderate", QuestionModerate, moderate)
    on("poll:create", PollCreate, poll_create)
    on("poll:vote", PollVote, poll_vote)
    on("poll:close", PollClose, poll_close)
    on("hand:raise", ClassRef, hand_raise)
    on("hand:lower", HandLower, hand_lower)
    on("reaction:send", ReactionSend, react)
    on("resource:share", ResourceShare, share)
    on("participant:remove", ParticipantRemove, remove)
    on("presence:list", PresenceList, presence_list)

    async def unknown(event: str, sid: str, *args: Any) -> dict[str, Any]:
        if (refused := await expiry.refusal(sid)) is not None:
            return refused
        return ack_body(BadRequest(f"unknown event {event!r}"))

    async def refused(sid: str, *args: Any) -> dict[str, Any]:
        # What the transport put in place of an event too large or too deep to parse.
        reason = args[0] if len(args) == 1 and isinstance(args[0], str) else "refused"
        return ack_body(BadRequest(f"{reason}; nothing was done"))

    async def disconnect(sid: str, reason: Any = None) -> None:
        metrics.open_sockets.dec()
        try:
            await hub.disconnected(sid)
        except Exception:
            log.exception("cleaning up after socket %s failed", sid)

    sio.on(REFUSED_EVENT, refused)
    sio.on("*", unknown)
    sio.on("disconnect", disconnect)


def parse(model: type[M], args: tuple[Any, ...]) -> M:
    """The one payload, validated strictly; ``bad_request`` naming the first bad field."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise BadRequest("the payload must be one JSON object")
    refuse_control_characters(args[0])
    try:
        return model.model_validate(args[0], strict=True)
    except ValidationError as exc:
        raise invalid(exc) from None


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
