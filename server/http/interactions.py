"""Interactions over HTTP: the real-time operations for clients without a socket, and history.

Each route calls the same service function as its socket event, so it
validates the same way and broadcasts the same events.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..schemas.classes import ResourceOut
from ..schemas.common import Page
from ..schemas.interactions import (
    ChatSendBody,
    HandLowerBody,
    HandOut,
    InteractionCreate,
    InteractionFilter,
    InteractionOut,
    MessageOut,
    ParticipantRemoveBody,
    PollCreateBody,
    PollOut,
    PollView,
    PollVoteBody,
    QuestionAnswerBody,
    QuestionAskBody,
    QuestionOut,
    ReactionSendBody,
    ResourceShareBody,
    Results,
)
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
from .routing import Call, api

__all__ = ["operations"]

CLASS = "/api/live-classes/{class_id}"
TAG = "interactions"
M = TypeVar("M", bound=BaseModel)


@api(
    "GET",
    CLASS + "/interactions",
    summary="Combined history (anonymous authors hidden)",
    tag=TAG,
    query=InteractionFilter,
    response=list[InteractionOut],
    paginated=True,
)
async def list_interactions(call: Call[Any, InteractionFilter]) -> tuple[list[InteractionOut], int]:
    return await classroom.history(call.ctx, call.principal, call.path("class_id"), call.query)


@api(
    "POST",
    CLASS + "/interactions",
    summary="Chat, ask or react (seed-era combined write)",
    tag=TAG,
    body=InteractionCreate,
    response=dict[str, Any],
    status=201,
)
async def create_interaction(call: Call[InteractionCreate, Any]) -> dict[str, Any]:
    body, class_id = call.body, call.path("class_id")
    if body.interaction_type == "chat":
        message = await chat.send(
            call.ctx, call.principal, class_id, _valid(ChatSendBody, text=body.content)
        )
        return {"interaction_type": "chat", "message": message}
    if body.interaction_type == "question":
        question = await questions.ask(
            call.ctx,
            call.principal,
            class_id,
            _valid(QuestionAskBody, text=body.content, anonymous=body.is_anonymous),
        )
        return {"interaction_type": "question", "question": question}
    emoji = _valid(ReactionSendBody, emoji=body.content).emoji
    await reactions.send(call.ctx, call.principal, class_id, emoji)
    return {"interaction_type": "reaction", "emoji": emoji}


@api(
    "GET",
    CLASS + "/chat",
    summary="Chat history, oldest first within the page",
    tag=TAG,
    query=Page,
    response=list[MessageOut],
    paginated=True,
)
async def list_chat(call: Call[Any, Page]) -> tuple[list[MessageOut], int]:
    return await chat.history(call.ctx, call.principal, call.path("class_id"), call.query)


@api(
    "POST",
    CLASS + "/chat",
    summary="Send a chat message (same as chat:send)",
    tag=TAG,
    body=ChatSendBody,
    response=MessageOut,
    status=201,
)
async def send_chat(call: Call[ChatSendBody, Any]) -> MessageOut:
    return await chat.send(call.ctx, call.principal, call.path("class_id"), call.body)


@api(
    "DELETE",
    CLASS + "/chat/{message_id}",
    summary="Delete a message (hosts, or its author)",
    tag=TAG,
    response=dict[str, bool],
)
async def delete_chat(call: Call[Any, Any]) -> dict[str, bool]:
    await chat.delete(call.ctx, call.principal, call.path("class_id"), call.path("message_id"))
    return {"deleted": True}


@api(
    "GET",
    CLASS + "/qa",
    summary="Questions (hidden ones to hosts; authors of anonymous ones to admins only)",
    tag=TAG,
    query=Page,
    response=list[QuestionOut],
    paginated=True,
)
async def list_questions(call: Call[Any, Page]) -> tuple[list[QuestionOut], int]:
    return await questions.listing(call.ctx, call.principal, call.path("class_id"), call.query)


@api(
    "POST",
    CLASS + "/qa",
    summary="Ask a question (same as question:ask)",
    tag=TAG,
    body=QuestionAskBody,
    response=QuestionOut,
    status=201,
)
async def ask(call: Call[QuestionAskBody, Any]) -> QuestionOut:
    return await questions.ask(call.ctx, call.principal, call.path("class_id"), call.body)


async def _vote(call: Call[Any, Any], *, up: bool) -> dict[str, Any]:
    qa_id = call.path("qa_id")
    votes = await questions.vote(call.ctx, call.principal, call.path("class_id"), qa_id, up=up)
    return {"question_id": qa_id, "votes": votes}


@api(
    "POST", CLASS + "/qa/{qa_id}/upvote", summary="Add your vote", tag=TAG, response=dict[str, Any]
)
async def upvote(call: Call[Any, Any]) -> dict[str, Any]:
    return await _vote(call, up=True)


@api(
    "DELETE",
    CLASS + "/qa/{qa_id}/upvote",
    summary="Remove your vote",
    tag=TAG,
    response=dict[str, Any],
)
async def unvote(call: Call[Any, Any]) -> dict[str, Any]:
    return await _vote(call, up=False)


@api(
    "POST",
    CLASS + "/qa/{qa_id}/answer",
    summary="Answer a question (hosts)",
    tag=TAG,
    body=QuestionAnswerBody,
    response=QuestionOut,
)
async def answer(call: Call[QuestionAnswerBody, Any]) -> QuestionOut:
    return await questions.answer(
        call.ctx, call.principal, call.path("class_id"), call.path("qa_id"), call.body.text
    )


@api(
    "GET",
    CLASS + "/polls",
    summary="Polls with what you may see of results, and your vote",
    tag=TAG,
    response=list[PollView],
)
async def list_polls(call: Call[Any, Any]) -> list[PollView]:
    return await polls.listing(call.ctx, call.principal, call.path("class_id"))


@api(
    "POST",
    CLASS + "/polls",
    summary="Open a poll (hosts)",
    tag=TAG,
    body=PollCreateBody,
    response=PollOut,
    status=201,
)
async def create_poll(call: Call[PollCreateBody, Any]) -> PollOut:
    return await polls.create(call.ctx, call.principal, call.path("class_id"), call.body)


@api(
    "POST",
    CLASS + "/polls/{poll_id}/respond",
    summary="Vote (participants; replaces)",
    tag=TAG,
    body=PollVoteBody,
    response=dict[str, bool],
)
async def respond(call: Call[PollVoteBody, Any]) -> dict[str, bool]:
    await polls.vote(
        call.ctx, call.principal, call.path("class_id"), call.path("poll_id"), call.body.choice
    )
    return {"voted": True}


@api(
    "POST",
    CLASS + "/polls/{poll_id}/close",
    summary="Close a poll (hosts)",
    tag=TAG,
    response=dict[str, Any],
)
async def close_poll(call: Call[Any, Any]) -> dict[str, Any]:
    poll, results = await polls.close(
        call.ctx, call.principal, call.path("class_id"), call.path("poll_id")
    )
    return {"poll": poll, "results": results}


@api(
    "GET",
    CLASS + "/polls/{poll_id}/results",
    summary="Results, when visible to you",
    tag=TAG,
    response=Results,
)
async def poll_results(call: Call[Any, Any]) -> Results:
    return await polls.results(
        call.ctx, call.principal, call.path("class_id"), call.path("poll_id")
    )


@api("GET", CLASS + "/resources", summary="Shared resources", tag=TAG, response=list[ResourceOut])
async def list_resources(call: Call[Any, Any]) -> list[ResourceOut]:
    return await resources.listing(call.ctx, call.principal, call.path("class_id"))


@api(
    "POST",
    CLASS + "/resources",
    summary="Share a resource (hosts)",
    tag=TAG,
    body=ResourceShareBody,
    response=ResourceOut,
    status=201,
)
async def share_resource(call: Call[ResourceShareBody, Any]) -> ResourceOut:
    return await resources.share(call.ctx, call.principal, call.path("class_id"), call.body)


@api("POST", CLASS + "/hands", summary="Raise your hand", tag=TAG, response=list[HandOut])
async def raise_hand(call: Call[Any, Any]) -> list[HandOut]:
    return await hands.raise_hand(call.ctx, call.principal, call.path("class_id"))


@api(
    "DELETE",
    CLASS + "/hands",
    summary="Lower your hand, or (hosts) anyone's",
    tag=TAG,
    body=HandLowerBody,
    response=list[HandOut],
)
async def lower_hand(call: Call[HandLowerBody, Any]) -> list[HandOut]:
    return await hands.lower(call.ctx, call.principal, call.path("class_id"), call.body.user_id)


@api(
    "POST",
    CLASS + "/participants/remove",
    summary="Remove a participant (hosts)",
    tag=TAG,
    body=ParticipantRemoveBody,
    response=dict[str, bool],
)
async def remove_participant(call: Call[ParticipantRemoveBody, Any]) -> dict[str, bool]:
    await moderation.remove(
        call.ctx, call.principal, call.path("class_id"), call.body.user_id, call.body.reason
    )
    return {"removed": True}


def _valid(model: type[M], **values: Any) -> M:
    """The combined route's ``content`` checked as the specific operation's field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise invalid(exc, as_field="content") from None


operations = [
    list_interactions,
    create_interaction,
    list_chat,
    send_chat,
    delete_chat,
    list_questions,
    ask,
    upvote,
    unvote,
    answer,
    list_polls,
    create_poll,
    respond,
    close_poll,
    poll_results,
    list_resources,
    share_resource,
    raise_hand,
    lower_hand,
    remove_participant,
]
