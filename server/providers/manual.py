"""Manual meetings: the caller brings its own link; nothing is created anywhere."""

from __future__ import annotations

from ..errors import BadRequest
from .base import Attendee, Meeting, MeetingRequest

__all__ = ["ManualProvider"]


class ManualProvider:
    name = "manual"

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        if not request.manual_join_url:
            raise BadRequest(
                "provider 'manual' needs a join_url",
                details={"join_url": "required when provider is manual"},
            )
        return Meeting(
            provider=self.name,
            meeting_id="",
            join_url=request.manual_join_url,
            host_url=request.manual_join_url,
        )

    async def update_meeting(self, meeting: Meeting, request: MeetingRequest) -> Meeting:
        if request.manual_join_url and request.manual_join_url != meeting.join_url:
            return Meeting(
                provider=self.name,
                meeting_id="",
                join_url=request.manual_join_url,
                host_url=request.manual_join_url,
            )
        return meeting

    async def delete_meeting(self, meeting: Meeting, org_id: str) -> None:
        """The link belongs to the caller; there is nothing of ours to delete."""

    def join_link(self, meeting: Meeting, attendee: Attendee) -> str:
        return meeting.join_url
