"""Shapes shared by every resource: envelopes, pages, names, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "Envelope",
    "ErrorBody",
    "ErrorEnvelope",
    "Identifier",
    "ListEnvelope",
    "Page",
    "RequestModel",
    "ResponseModel",
    "UserRef",
    "iso",
]

T = TypeVar("T")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z``, as every payload writes times (pydantic's format)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class RequestModel(BaseModel):
    """Bodies refuse unknown fields: a misspelt field is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel):
    """``limit`` (default 50, at most 100) and ``offset`` of a list route."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class UserRef(ResponseModel):
    id: str
    name: str
    role: str


class Envelope(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class ListEnvelope(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: list[T]
    count: int
    limit: int
    offset: int


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, str] | None = None


class ErrorEnvelope(BaseModel):
    success: Literal[False] = False
    error: ErrorBody
