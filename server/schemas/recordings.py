"""Recording payloads: what callers see of a recording, and access grants."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from .common import Identifier, RequestModel, ResponseModel

__all__ = ["FileType", "GrantCreate", "GrantOut", "RecordingOut"]

FileType = Literal["video", "audio", "transcript", "chat", "other"]
ScopeName = Literal["public", "enrolled", "user"]
LevelName = Literal["view", "download", "edit"]


class RecordingOut(ResponseModel):
    recording_id: str
    file_name: str
    file_type: FileType
    recording_type: str | None = Field(description="the provider's, e.g. shared_screen")
    file_size_mb: float | None = Field(description="MiB; unknown for some provider files")
    recording_start: datetime
    recording_end: datetime | None
    can_access: bool
    can_download: bool
    created_at: datetime


class GrantCreate(RequestModel):
    scope: ScopeName
    user_id: Identifier | None = Field(default=None, description="required for scope user only")
    level: LevelName
    expires_at: AwareDatetime | None = Field(default=None, description="must be in the future")


class GrantOut(ResponseModel):
    grant_id: str
    recording_id: str
    scope: ScopeName
    user_id: str | None
    level: LevelName
    expires_at: datetime | None
    active: bool = Field(description="false once expired: an expired grant grants nothing")
    created_by: str
    created_at: datetime
