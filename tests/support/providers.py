"""A meeting provider whose answers a test scripts: succeed, or fail like a provider outage."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from server.errors import ProviderError
from server.providers.base import Attendee, Meeting, MeetingRequest

__all__ = ["ScriptedProvider"]


@dataclass
class ScriptedProvider:
    """Registered as ``zoom`` in tests that need a provider to fail on demand."""

    name: str = "zoom"
    fail_next: dict[str, str] = field(default_factory=dict)
    meetings: dict[str, MeetingRequest] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def _maybe_fail(self, operation: str) -> None:
        message = self.fail_next.pop(operation, None)
        if message is not None:
            raise ProviderError(message, provider=self.name)

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        self._maybe_fail("create")
        meeting_id = str(next(self._ids))
        self.meetings[meeting_id] = request
        return Meeting(
            provider=self.name,
            meeting_id=meeting_id,
            join_url=f"https://meet.example/j/{meeting_id}",
            host_url=f"https://meet.example/s/{meeting_id}",
            passcode="abc123",
        )

    async def update_meeting(self, meeting: Meeting, request: MeetingRequest) -> Meeting:
        self._maybe_fail("update")
        self.meetings[meeting.meeting_id] = request
        return meeting

    async def delete_meeting(self, meeting: Meeting, org_id: str) -> None:
        self._maybe_fail("delete")
        self.deleted.append(meeting.meeting_id)
        self.meetings.pop(meeting.meeting_id, None)

    def join_link(self, meeting: Meeting, attendee: Attendee) -> str:
        return meeting.join_url
