"""The meeting-provider seam: one small interface, one implementation per provider.

A provider turns a scheduled class into a meeting somewhere (a Zoom meeting, a
Calendar event with a Meet link, a Jitsi room) and keeps it in step with the
class.  Every method either succeeds or raises :class:`server.errors.ProviderError`
with the provider's own message; the class service relies on that to store
nothing (create) or change nothing (update, delete) when the provider fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from ..errors import BadRequest

__all__ = [
    "Attendee",
    "AutoRecording",
    "Meeting",
    "MeetingProvider",
    "MeetingRequest",
    "ProviderRegistry",
    "RefreshesHostLink",
]

AutoRecording = Literal["cloud", "local", "none"]


@dataclass(frozen=True)
class MeetingRequest:
    """What a provider needs to know about a class to hold its meeting."""

    class_id: str
    org_id: str
    title: str
    description: str | None
    start: datetime
    end: datetime
    timezone: str
    auto_recording: AutoRecording
    host_user_id: str
    host_email: str | None = None
    waiting_room: bool = False
    join_before_host: bool = False
    manual_join_url: str | None = None


@dataclass(frozen=True)
class Meeting:
    """A meeting as the provider holds it; stored on the class row.

    ``data`` keeps provider-specific extras (Zoom's uuid, the Calendar event
    id, the Jitsi room name) as JSON-safe values.
    """

    provider: str
    meeting_id: str
    join_url: str
    host_url: str | None = None
    passcode: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Attendee:
    """The person a join link is being made for."""

    user_id: str
    name: str
    email: str | None
    is_host: bool


class MeetingProvider(Protocol):
    """What the class service asks of every provider."""

    name: str

    async def create_meeting(self, request: MeetingRequest) -> Meeting: ...

    async def update_meeting(self, meeting: Meeting, request: MeetingRequest) -> Meeting: ...

    async def delete_meeting(self, meeting: Meeting, org_id: str) -> None: ...

    def join_link(self, meeting: Meeting, attendee: Attendee) -> str:
        """The link this attendee should open (per-user where the provider supports it)."""
        ...


@runtime_checkable
class RefreshesHostLink(Protocol):
    """A provider whose host link expires (Zoom's ``start_url``): asked for a fresh one
    each time a host is handed the link; raises ``ProviderError`` when it cannot."""

    async def fresh_host_url(self, meeting: Meeting, org_id: str) -> str | None: ...


class ProviderRegistry:
    """The providers this process can use, by name."""

    def __init__(self, providers: Mapping[str, MeetingProvider]) -> None:
        self._providers = dict(providers)

    def get(self, name: str) -> MeetingProvider:
        try:
            return self._providers[name]
        except KeyError:
            raise BadRequest(
                f"provider {name!r} is not configured on this server",
                details={"provider": f"available: {', '.join(sorted(self._providers))}"},
            ) from None

    def names(self) -> list[str]:
        return sorted(self._providers)
