"""Live class payloads: create, change, list filters, and what callers see."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from ..domain.lifecycle import ClassStatus
from .common import (
    Identifier,
    Page,
    QueryDatetime,
    QueryModel,
    RequestModel,
    ResponseModel,
    UserRef,
)
from .recordings import RecordingOut

__all__ = [
    "AttendanceRow",
    "ClassCreate",
    "ClassDetail",
    "ClassFilter",
    "ClassOut",
    "ClassSettings",
    "ClassSettingsPatch",
    "ClassUpdate",
    "JoinInfo",
    "ParticipantOut",
    "ResourceKind",
    "ResourceOut",
]

ProviderName = Literal["zoom", "google_meet", "jitsi", "manual"]
AutoRecording = Literal["cloud", "local", "none"]
MAX_CLASS_SECONDS = 24 * 3600


class ClassSettings(BaseModel):
    """Per-class feature switches; ``waiting_room`` and ``join_before_host`` go to Zoom."""

    model_config = {"extra": "forbid"}

    chat: bool = True
    qa: bool = True
    polls: bool = True
    reactions: bool = True
    hand_raise: bool = True
    lobby_chat: bool = False
    waiting_room: bool = False
    join_before_host: bool = False


class ClassSettingsPatch(RequestModel):
    chat: bool | None = None
    qa: bool | None = None
    polls: bool | None = None
    reactions: bool | None = None
    hand_raise: bool | None = None
    lobby_chat: bool | None = None
    waiting_room: bool | None = None
    join_before_host: bool | None = None

    def apply(self, current: ClassSettings) -> ClassSettings:
        return current.model_copy(update=self.model_dump(exclude_none=True))


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Europe/Paris") from None
    return value


def _check_join_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value


def check_schedule(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValueError("scheduled_end must be after scheduled_start")
    if (end - start).total_seconds() > MAX_CLASS_SECONDS:
        raise ValueError("a class may last at most 24 hours")


class ClassCreate(RequestModel):
    course_id: Identifier
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    scheduled_start: AwareDatetime
    scheduled_end: AwareDatetime
    timezone: str = "UTC"
    provider: ProviderName | None = None
    join_url: str | None = Field(default=None, max_length=2000)
    max_participants: int | None = Field(default=None, ge=1, le=100_000)
    auto_recording: AutoRecording = "none"
    settings: ClassSettings = Field(default_factory=ClassSettings)

    _timezone = field_validator("timezone")(_check_timezone)
    _join_url = field_validator("join_url")(_check_join_url)

    @model_validator(mode="after")
    def _consistent(self) -> ClassCreate:
        check_schedule(self.scheduled_start, self.scheduled_end)
        if self.join_url is not None and self.provider != "manual":
            raise ValueError("join_url is accepted only with provider 'manual'")
        return self


def _not_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**constraints: Any) -> Any:
    """A field a change may leave out (unchanged) but not set to ``null``.

    Read such fields through ``model_dump(exclude_unset=True)``: when left out
    they hold ``None`` despite their type, and the schema shows no default.
    """
    return Field(default=None, json_schema_extra=_not_null, **constraints)


class ClassUpdate(RequestModel):
    """A partial change: fields left out stay as they are.

    ``null`` clears what may be empty (``description``, ``max_participants``:
    no limit) and means "unchanged" for ``join_url`` and ``settings``; a class
    always has a title, a schedule, a time zone and a recording mode, so
    ``null`` there is refused.
    """

    title: str = omittable(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=10_000)
    scheduled_start: AwareDatetime = omittable()
    scheduled_end: AwareDatetime = omittable()
    timezone: str = omittable()
    join_url: str | None = Field(default=None, max_length=2000)
    max_participants: int | None = Field(default=None, ge=1, le=100_000)
    auto_recording: AutoRecording = omittable()
    settings: ClassSettingsPatch | None = None

    _timezone = field_validator("timezone")(_check_timezone)
    _join_url = field_validator("join_url")(_check_join_url)

    @model_validator(mode="after")
    def _ordered(self) -> ClassUpdate:
        if self.scheduled_start and self.scheduled_end:
            check_schedule(self.scheduled_start, self.scheduled_end)
        return self


class ClassFilter(Page):
    course_id: str | None = Field(default=None, max_length=64)
    status: ClassStatus | None = None
    from_: QueryDatetime | None = Field(default=None, alias="from")
    to: QueryDatetime | None = None


class ClassOut(ResponseModel):
    id: str
    course_id: str
    title: str
    description: str | None
    status: ClassStatus
    scheduled_start: datetime
    scheduled_end: datetime
    timezone: str
    actual_start: datetime | None
    actual_end: datetime | None
    provider: str
    join_url: str
    host_url: str | None = Field(description="only for hosts")
    passcode: str | None = Field(description="hosts; participants where the provider needs it")
    max_participants: int | None
    auto_recording: AutoRecording
    settings: ClassSettings
    host: UserRef
    your_role: str
    participant_count: int = Field(description="users online now")
    is_recorded: bool
    series_id: str | None = Field(default=None, description="the series it belongs to, if any")
    created_at: datetime
    updated_at: datetime


class ParticipantOut(ResponseModel):
    user: UserRef
    online: bool
    first_joined_at: datetime
    last_seen_at: datetime


class ClassDetail(ClassOut):
    participants: list[ParticipantOut] = Field(
        description="the first 100 in order of first joining; all of them: GET .../participants"
    )
    recordings: list[RecordingOut] = Field(description="those the caller may access")
    resources: list[ResourceOut]


ResourceKind = Literal["slides", "document", "link", "video", "other"]


class ResourceOut(ResponseModel):
    id: str
    kind: ResourceKind
    title: str
    url: str
    shared_by: UserRef
    shared_at: datetime


class JoinInfo(ResponseModel):
    join_url: str
    host_url: str | None = None
    passcode: str | None = None


class AttendanceRow(ResponseModel):
    user_id: str | None
    name: str
    enrolled: bool
    first_join: datetime | None
    last_leave: datetime | None
    join_count: int
    attended_seconds: int
    attended_percent: float
    status: Literal["present", "partial", "absent"]


class AttendanceQuery(QueryModel):
    format: Literal["json", "csv"] = "json"
