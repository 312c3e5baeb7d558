"""The seam between recordings and the providers that hold their files.

A :class:`RecordingBackend` knows one provider's recording API: the links to
hand a caller who may play or download a file, and how to delete it there.
The app keeps one per provider name in ``ServiceContext.recording_backends``;
a provider without one is served by :class:`StoredLinks`, which redirects to
the URLs the webhook stored and deletes nothing remotely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["RecordingBackend", "RecordingRef", "StoredLinks"]


@dataclass(frozen=True, slots=True)
class RecordingRef:
    """One stored recording file, as a backend needs it.

    ``download_token`` is the provider's token from the webhook, already
    opened, and only while it is still valid (``None`` otherwise or when the
    provider sent none); a backend fetches a fresh one when it is ``None``.
    """

    recording_id: str
    org_id: str
    class_id: str
    provider: str
    provider_file_id: str | None
    meeting_uuid: str
    provider_file_type: str
    download_url: str
    play_url: str | None
    download_token: str | None


class RecordingBackend(Protocol):
    """Every method raises :class:`server.errors.ProviderError` when the provider fails."""

    async def download_link(self, recording: RecordingRef) -> str:
        """The URL to redirect a downloader to (for Zoom: ``download_url?access_token=...``)."""
        ...

    async def play_link(self, recording: RecordingRef) -> str:
        """The URL to redirect a viewer to."""
        ...

    async def delete(self, recording: RecordingRef) -> None:
        """Delete the file at the provider."""
        ...


class StoredLinks:
    """The fallback: the stored URLs as they are; deleting is left to the provider's owner.

    Limit: a stored URL that needs a token (Zoom's ``download_url``) will not
    work through this fallback; register a backend for such a provider.
    """

    async def download_link(self, recording: RecordingRef) -> str:
        return recording.download_url

    async def play_link(self, recording: RecordingRef) -> str:
        return recording.play_url or recording.download_url

    async def delete(self, recording: RecordingRef) -> None:
        return None
