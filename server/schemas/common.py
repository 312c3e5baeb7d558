"""Shapes shared by every resource: envelopes, pages, names, times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_INT64",
    "Envelope",
    "ErrorBody",
    "ErrorEnvelope",
    "Identifier",
    "ListEnvelope",
    "Page",
    "QueryDatetime",
    "QueryInt",
    "QueryModel",
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


# The largest integer a database column or an OFFSET takes on every backend (signed 64 bits).
MAX_INT64 = 2**63 - 1
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _ascii_digits(value: object) -> object:
    # pydantic's lax int parsing also takes "+5", "1_000", " 5" and "5.0".
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written with the digits 0-9")
    return value


def _iso_datetime(value: object) -> object:
    # pydantic would read "0.5" or "1700000000" as seconds since 1970.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date-time with an offset, e.g. 2032-03-01T09:00:00Z")
    return value


# Integers and times read from the URL.
QueryInt = Annotated[int, BeforeValidator(_ascii_digits)]
QueryDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]


class QueryModel(BaseModel):
    """A route's query parameters; the router refuses any parameter not declared here."""

    model_config = ConfigDict(extra="forbid")


class RequestModel(BaseModel):
    """Bodies refuse unknown fields: a misspelt field is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(QueryModel):
    """``limit`` (default 50, at most 100) and ``offset`` of a list route."""

    limit: QueryInt = Field(default=50, ge=1, le=100)
    offset: QueryInt = Field(default=0, ge=0, le=MAX_INT64)


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
