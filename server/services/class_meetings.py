"""A class's provider meeting: stored as columns of the class, rebuilt from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping

from ..providers.base import Meeting, MeetingRequest
from ..schemas.classes import ClassSettings, ClassUpdate

__all__ = ["meeting_columns", "meeting_of", "meeting_request", "touches_provider"]


def meeting_request(
    values: Mapping[str, Any],
    settings: ClassSettings,
    *,
    host_email: str | None,
    manual_join_url: str | None,
) -> MeetingRequest:
    """What the provider needs, from a class's column values (stored, or about to be)."""
    return MeetingRequest(
        class_id=values["id"],
        org_id=values["org_id"],
        title=values["title"],
        description=values["description"],
        start=values["scheduled_start"],
        end=values["scheduled_end"],
        timezone=values["timezone"],
        auto_recording=values["auto_recording"],
        host_user_id=values["host_user_id"],
        host_email=host_email,
        waiting_room=settings.waiting_room,
        join_before_host=settings.join_before_host,
        manual_join_url=manual_join_url,
    )


def meeting_columns(meeting: Meeting) -> dict[str, Any]:
    return {
        "provider": meeting.provider,
        "provider_meeting_id": meeting.meeting_id,
        "provider_data": dict(meeting.data),
        "join_url": meeting.join_url,
        "host_url": meeting.host_url,
        "passcode": meeting.passcode,
    }


def meeting_of(row: RowMapping) -> Meeting:
    return Meeting(
        provider=row["provider"],
        meeting_id=row["provider_meeting_id"],
        join_url=row["join_url"],
        host_url=row["host_url"],
        passcode=row["passcode"],
        data=row["provider_data"],
    )


_PROVIDER_FIELDS = {"title", "description", "scheduled_start", "scheduled_end", "timezone"}


def touches_provider(changes: dict[str, Any], body: ClassUpdate) -> bool:
    return bool(
        _PROVIDER_FIELDS & changes.keys()
        or "auto_recording" in changes
        or body.join_url is not None
        or (
            body.settings is not None
            and body.settings.model_fields_set & {"waiting_room", "join_before_host"}
        )
    )
