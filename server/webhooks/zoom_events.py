"""Zoom's webhook bodies as typed models, and the key that makes a redelivery recognisable.

Zoom sends no event id (``event``, ``event_ts`` and ``payload`` only), so the
dedup key is semantic where the event has a natural identity (a meeting
instance's uuid, a participant's join or leave time, a recording's file ids)
and a hash of the raw body otherwise.  Meeting ids arrive as strings in
``meeting.*`` events and as numbers in ``recording.*`` events; both become
strings here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..db.inbox import kept_headers as pick_headers

__all__ = [
    "ZoomEnvelope",
    "ZoomMeeting",
    "ZoomParticipant",
    "ZoomRecordingFile",
    "dedup_key",
    "kept_headers",
]

KEPT_HEADERS = ("x-zm-request-id", "x-zm-request-timestamp", "x-zm-trackingid", "user-agent")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ZoomParticipant(_Lenient):
    user_id: str = ""
    user_name: str = ""
    id: str = ""
    participant_uuid: str = ""
    email: str = ""
    join_time: datetime | None = None
    leave_time: datetime | None = None

    @property
    def key(self) -> str:
        """Pairs a leave with its join: Zoom's participant uuid, else the per-meeting user id."""
        return self.participant_uuid or self.user_id or self.id or self.user_name


class ZoomRecordingFile(_Lenient):
    # CC and TIMELINE files come without id, status, size or recording type.
    id: str | None = None
    meeting_id: str | None = None
    recording_start: datetime | None = None
    recording_end: datetime | None = None
    file_type: str = ""
    file_extension: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    play_url: str | None = None
    download_url: str | None = None
    recording_type: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class ZoomMeeting(_Lenient):
    id: str
    uuid: str = ""
    topic: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    participant: ZoomParticipant | None = None
    recording_files: list[ZoomRecordingFile] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class ZoomPayload(_Lenient):
    account_id: str = ""
    object: ZoomMeeting


class ZoomEnvelope(_Lenient):
    event: str
    event_ts: int | None = None
    payload: ZoomPayload
    download_token: str | None = None


def dedup_key(body: dict[str, Any], raw: bytes) -> str:
    event = str(body.get("event", ""))
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    obj = payload.get("object") if isinstance(payload, dict) else None
    identity: str
    if isinstance(obj, dict) and obj.get("uuid"):
        uuid = str(obj["uuid"])
        participant = obj.get("participant")
        if event.startswith("meeting.participant_") and isinstance(participant, dict):
            who = participant.get("participant_uuid") or participant.get("user_id") or ""
            when = participant.get("join_time") or participant.get("leave_time") or ""
            identity = f"{uuid}|{who}|{when}"
        elif event.startswith("recording."):
            files = [f for f in obj.get("recording_files") or [] if isinstance(f, dict)]
            ids = sorted(str(f.get("id") or f.get("file_type")) for f in files)
            identity = f"{uuid}|{','.join(ids)}"
        elif event in ("meeting.started", "meeting.ended"):
            identity = uuid
        else:
            identity = hashlib.sha256(raw).hexdigest()
    else:
        identity = hashlib.sha256(raw).hexdigest()
    digest = hashlib.sha256(f"{event}|{identity}".encode()).hexdigest()
    return f"{event[:100]}:{digest}"


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The delivery headers worth keeping for audit (never ``authorization``)."""
    return pick_headers(headers, KEPT_HEADERS)
