"""Calendar feed tokens, as their owners manage them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import model_validator

from .common import Identifier, RequestModel, ResponseModel

__all__ = ["FeedCreate", "FeedCreated", "FeedOut"]


class FeedCreate(RequestModel):
    """``person``: the caller's own classes; ``course``: every class of ``course_id``."""

    kind: Literal["person", "course"]
    course_id: Identifier | None = None

    @model_validator(mode="after")
    def _course_for_course_feeds(self) -> FeedCreate:
        if (self.kind == "course") != (self.course_id is not None):
            raise ValueError("course_id is required for a course feed, and only for one")
        return self


class FeedOut(ResponseModel):
    id: str
    kind: str
    course_id: str | None
    created_at: datetime
    rotated_at: datetime | None


class FeedCreated(FeedOut):
    """The feed's URL carries its secret token: it is shown only in this answer."""

    url: str
