"""Google Meet recordings and transcripts behind the :class:`RecordingBackend` seam.

Meet writes recordings to the organizer's Google Drive and transcripts to
Google Docs; we store their ``exportUri`` and redirect players and
downloaders there.  Google decides who may open them (the organizer's Drive
sharing), so a caller we allow may still be asked to sign in or request
access at Google.
"""

from __future__ import annotations

from .recording_backends import RecordingRef

__all__ = ["GoogleMeetRecordings"]


class GoogleMeetRecordings:
    async def download_link(self, recording: RecordingRef) -> str:
        return recording.download_url

    async def play_link(self, recording: RecordingRef) -> str:
        return recording.play_url or recording.download_url

    async def delete(self, recording: RecordingRef) -> None:
        """Tombstone only: the Google Drive file (or Docs transcript) is NOT deleted by us.

        The file belongs to the meeting organizer's Drive and our OAuth scopes
        (Calendar events, Meet read-only) do not include Drive; its owner
        deletes it there.  The recording service marks our row deleted.
        """
        return None
