"""Zoom cloud recordings behind the :class:`RecordingBackend` seam: links and deletion.

Downloads carry a token as ``?access_token=``: the webhook's
``download_token`` while it is valid (24 hours), else a fresh API token of
the organization.  Deleting moves the file to Zoom's trash (recoverable for
30 days), one file at a time; CC and TIMELINE files have no id of their own
and go with the meeting's recording, so for them only our row is tombstoned.
"""

from __future__ import annotations

from .recording_backends import RecordingRef
from .zoom import ZoomClient

__all__ = ["ZoomRecordings"]


class ZoomRecordings:
    def __init__(self, client: ZoomClient) -> None:
        self._client = client

    async def download_link(self, recording: RecordingRef) -> str:
        token = recording.download_token or await self._client.access_token(recording.org_id)
        separator = "&" if "?" in recording.download_url else "?"
        return f"{recording.download_url}{separator}access_token={token}"

    async def play_link(self, recording: RecordingRef) -> str:
        return recording.play_url or await self.download_link(recording)

    async def delete(self, recording: RecordingRef) -> None:
        if recording.provider_file_id:
            await self._client.delete_recording_file(
                recording.org_id, recording.meeting_uuid, recording.provider_file_id
            )
