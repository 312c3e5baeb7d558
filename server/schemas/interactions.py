"""Payloads of the real-time classroom, shared by the socket events and the HTTP routes.

Each operation has a body model (what HTTP posts under ``/api/live-classes/{class_id}/...``)
and a socket model that adds ``class_id``; both are validated strictly (``"5"`` is
not a number, ``1`` is not a boolean) and refuse unknown fields.  Response
shapes follow the "Shapes" section of docs/realtime.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .classes import ClassDetail, ResourceKind, ResourceOut
from .common import Identifier, Page, RequestModel, ResponseModel, UserRef

__all__ = [
    "EMOJIS",
    "ChatDelete",
    "ChatSend",
    "ChatSendBody",
    "ChoiceResults",
    "ClassRef",
    "HandLower",
    "HandLowerBody",
    "HandOut",
    "InteractionCreate",
    "InteractionFilter",
    "InteractionOut",
    "MessageOut",
    "ParticipantRemove",
    "ParticipantRemoveBody",
    "PollClose",
    "PollCreate",
    "PollCreateBody",
    "PollOut",
    "PollView",
    "PollVote",
    "PollVoteBody",
    "PresenceList",
    "PresenceOut",
    "QuestionAnswer",
    "QuestionAnswerBody",
    "QuestionAsk",
    "QuestionAskBody",
    "QuestionModerate",
    "QuestionOut",
    "QuestionVote",
    "RatingResults",
    "ReactionSend",
    "ReactionSendBody",
    "ResourceOut",
    "ResourceShare",
    "ResourceShareBody",
    "Results",
    "Resync",
    "Snapshot",
    "TextResults",
    "You",
]

EMOJIS = ("👍", "👏", "❤️", "😂", "😮", "🎉", "🤔", "🙋")

ChatText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
QuestionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]
PollKind = Literal["single", "multiple", "rating", "text"]
ResultsVisibility = Literal["live", "on_close", "hosts"]
ModerateAction = Literal["hide", "unhide", "pin", "unpin", "reopen"]
Emoji = Literal["👍", "👏", "❤️", "😂", "😮", "🎉", "🤔", "🙋"]


class ClassRef(RequestModel):
    class_id: Identifier


# -- requests ---------------------------------------------------------------------


class Resync(ClassRef):
    after_seq: int = Field(ge=0)


class PresenceList(ClassRef):
    offset: int = Field(default=0, ge=0, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=500)


class ChatSendBody(RequestModel):
    text: ChatText
    client_id: str | None = Field(default=None, min_length=1, max_length=64)


class ChatSend(ChatSendBody, ClassRef):
    pass


class ChatDelete(ClassRef):
    message_id: Identifier


class QuestionAskBody(RequestModel):
    text: QuestionText
    anonymous: bool = False


class QuestionAsk(QuestionAskBody, ClassRef):
    pass


class QuestionVote(ClassRef):
    question_id: Identifier
    up: bool


class QuestionAnswerBody(RequestModel):
    text: str | None = Field(default=None, max_length=5000)


class QuestionAnswer(QuestionAnswerBody, ClassRef):
    question_id: Identifier


class QuestionModerate(ClassRef):
    question_id: Identifier
    action: ModerateAction


class PollCreateBody(RequestModel):
    question: str = Field(min_length=1, max_length=500)
    kind: PollKind
    options: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]]
        | None
    ) = None
    anonymous: bool = False
    results: ResultsVisibility = "live"
    correct: list[int] | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> PollCreateBody:
        if self.kind in ("single", "multiple"):
            if self.options is None or not 2 <= len(self.options) <= 10:
                raise ValueError("options: 2 to 10 non-empty strings for single/multiple polls")
            if self.correct is not None:
                if not self.correct or len(set(self.correct)) != len(self.correct):
                    raise ValueError("correct: distinct option indices")
                if any(not 0 <= i < len(self.options) for i in self.correct):
                    raise ValueError("correct: option indices out of range")
                if self.kind == "single" and len(self.correct) != 1:
                    raise ValueError("correct: a single-choice quiz has one correct option")
        else:
            if self.options is not None:
                raise ValueError(f"options: a {self.kind} poll has no options")
            if self.correct is not None:
                raise ValueError(f"correct: a {self.kind} poll cannot be a quiz")
        return self


class PollCreate(PollCreateBody, ClassRef):
    pass


class PollVoteBody(RequestModel):
    # Checked against the poll's kind by the service (the model cannot know it).
    choice: int | list[int] | str


class PollVote(PollVoteBody, ClassRef):
    poll_id: Identifier


class PollClose(ClassRef):
    poll_id: Identifier


class HandLowerBody(RequestModel):
    user_id: Identifier | None = None


class HandLower(HandLowerBody, ClassRef):
    pass


class ReactionSendBody(RequestModel):
    emoji: Emoji


class ReactionSend(ReactionSendBody, ClassRef):
    pass


class ResourceShareBody(RequestModel):
    kind: ResourceKind
    title: str = Field(min_length=1, max_length=300)
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://\S+$")


class ResourceShare(ResourceShareBody, ClassRef):
    pass


class ParticipantRemoveBody(RequestModel):
    user_id: Identifier
    reason: str | None = Field(default=None, max_length=500)


class ParticipantRemove(ParticipantRemoveBody, ClassRef):
    pass


class InteractionCreate(RequestModel):
    """The seed-era combined write: ``chat`` and ``question`` carry text, ``reaction`` an emoji."""

    interaction_type: Literal["chat", "question", "reaction"]
    content: str = Field(min_length=1, max_length=2000)
    is_anonymous: bool = False


class InteractionFilter(Page):
    type: Literal["chat", "question", "poll_response", "reaction"] | None = None


# -- responses ----------------------------------------------------------------------


class MessageOut(ResponseModel):
    id: str
    user: UserRef
    text: str
    sent_at: datetime


class QuestionOut(ResponseModel):
    id: str
    text: str
    author: UserRef | None = Field(description="null when anonymous (admins see it over HTTP)")
    anonymous: bool
    votes: int
    voted: bool
    status: Literal["open", "answered", "hidden"]
    pinned: bool
    answer: str | None
    asked_at: datetime
    answered_at: datetime | None


class PollOut(ResponseModel):
    id: str
    question: str
    kind: PollKind
    options: list[str]
    anonymous: bool
    results: ResultsVisibility
    status: Literal["open", "closed"]
    opened_at: datetime
    closed_at: datetime | None
    correct: list[int] | None = Field(description="hosts only until the poll closes")


class ChoiceResults(ResponseModel):
    total: int
    counts: list[int]
    voters: list[list[UserRef]] | None = Field(
        default=None, exclude_if=lambda v: v is None, description="hosts, named polls"
    )


class RatingResults(ResponseModel):
    total: int
    average: float | None
    counts: list[int] = Field(description="votes for 1, 2, 3, 4 and 5")
    voters: list[list[UserRef]] | None = Field(
        default=None, exclude_if=lambda v: v is None, description="hosts, named polls"
    )


class TextResults(ResponseModel):
    total: int
    answers: list[str]
    voters: list[UserRef] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="hosts, named polls: who wrote answers[i]",
    )


Results = ChoiceResults | RatingResults | TextResults


class PollView(PollOut):
    """A poll as one caller sees it: results when visible to them, and their own vote."""

    tally: Results | None = Field(description="the results, when this caller may see them")
    my_vote: int | list[int] | str | None


class HandOut(ResponseModel):
    user: UserRef
    raised_at: datetime


class InteractionOut(ResponseModel):
    id: str
    interaction_type: Literal["chat", "question", "poll_response"]
    user: UserRef | None
    content: str
    is_anonymous: bool
    created_at: datetime


class You(ResponseModel):
    user: UserRef
    role: str


class PresenceOut(ResponseModel):
    """Who is online: the exact ``count`` and a page of ``users`` by name."""

    count: int
    users: list[UserRef]


class Snapshot(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    class_: ClassDetail = Field(alias="class")
    you: You
    seq: int
    presence: PresenceOut
    hands: list[HandOut]
    polls: list[PollView]
    questions: list[QuestionOut]
    chat: list[MessageOut]
    resources: list[ResourceOut]
