"""A fake Zoom webhook *sender*: realistic event bodies, signed over the raw bytes, posted.

Bodies follow docs/providers.md: the envelope
``{"event","event_ts"(ms),"payload":{"account_id","object"}}``, meeting ``id``
as a **string** in ``meeting.*`` events and a **number** in ``recording.*``
events, a top-level ``download_token`` on ``recording.completed``,
``recording.transcript_completed`` and ``recording.trashed``, and
``payload.operator``/``operator_id`` on ``recording.trashed/deleted``.  They are
serialised compactly with raw UTF-8 (as Zoom sends them), and the signature is
computed over exactly the bytes posted.

Headers: ``x-zm-signature``, ``x-zm-request-timestamp`` (epoch **seconds**),
``x-zm-request-id``, ``x-zm-trackingid``, ``user-agent: Zoom Marketplace/1.0a``,
``content-type: application/json; charset=utf-8``.

:meth:`ZoomWebhookSender.deliver` imitates Zoom's retry policy: retry only on a
status ``>= 500`` or a transport failure, 3 times, after 5, 20 and 60 minutes
(divide them with ``time_scale``); never on 3xx/4xx.  Each retry gets a fresh
timestamp and signature and the same request id (unverified, [U] in the notes).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from server.providers.transport import Sleep
from server.providers.zoom_webhooks import sign

from .common import Clock, utc_z

__all__ = ["ZoomMeetingFacts", "ZoomParticipant", "ZoomWebhookSender"]

_RETRY_DELAYS = (300.0, 1200.0, 3600.0)


@dataclass(frozen=True)
class ZoomMeetingFacts:
    """The meeting an event is about."""

    id: int
    uuid: str
    host_id: str
    topic: str
    start_time: datetime
    duration: int = 60
    timezone: str = "UTC"
    host_email: str = "owner@example.com"
    type: int = 2


@dataclass(frozen=True)
class ZoomParticipant:
    user_id: str  # per-instance participant id
    user_name: str
    email: str = ""
    id: str = ""  # Zoom user id; empty for guests
    participant_uuid: str = ""


class ZoomWebhookSender:
    """Builds, signs and posts Zoom webhook events with the app's Secret Token."""

    def __init__(
        self,
        secret_token: str,
        *,
        account_id: str = "VjZoEArIT5y-HlWxkV-tVA",
        client: httpx.AsyncClient | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._secret = secret_token
        self._account_id = account_id
        self._client = client
        self._clock = clock
        self._sleep = sleep

    # -- bodies --------------------------------------------------------------------

    def _envelope(
        self,
        event: str,
        obj: Mapping[str, Any],
        *,
        download_token: str | None = None,
        operator: str | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"account_id": self._account_id, "object": dict(obj)}
        if operator is not None:
            payload["operator"] = operator
            payload["operator_id"] = secrets.token_urlsafe(16)[:22]
        body: dict[str, Any] = {
            "event": event,
            "payload": payload,
            "event_ts": int(self._clock() * 1000),
        }
        if download_token is not None:
            body["download_token"] = download_token
        return body

    def url_validation(self, plain_token: str | None = None) -> dict[str, Any]:
        return {
            "payload": {"plainToken": plain_token or secrets.token_urlsafe(16)},
            "event_ts": int(self._clock() * 1000),
            "event": "endpoint.url_validation",
        }

    def _meeting_object(self, meeting: ZoomMeetingFacts) -> dict[str, Any]:
        return {
            "id": str(meeting.id),  # a string in meeting.* events
            "uuid": meeting.uuid,
            "host_id": meeting.host_id,
            "topic": meeting.topic,
            "type": meeting.type,
            "start_time": utc_z(meeting.start_time),
            "timezone": meeting.timezone,
            "duration": meeting.duration,
        }

    def meeting_started(self, meeting: ZoomMeetingFacts) -> dict[str, Any]:
        return self._envelope("meeting.started", self._meeting_object(meeting))

    def meeting_ended(self, meeting: ZoomMeetingFacts, end_time: datetime) -> dict[str, Any]:
        obj = {**self._meeting_object(meeting), "end_time": utc_z(end_time)}
        return self._envelope("meeting.ended", obj)

    def participant_joined(
        self, meeting: ZoomMeetingFacts, who: ZoomParticipant, join_time: datetime
    ) -> dict[str, Any]:
        person = {**_participant(who), "join_time": utc_z(join_time)}
        obj = {**self._meeting_object(meeting), "participant": person}
        return self._envelope("meeting.participant_joined", obj)

    def participant_left(
        self,
        meeting: ZoomMeetingFacts,
        who: ZoomParticipant,
        leave_time: datetime,
        reason: str = "left the meeting",
    ) -> dict[str, Any]:
        person = {**_participant(who), "leave_time": utc_z(leave_time), "leave_reason": reason}
        obj = {**self._meeting_object(meeting), "participant": person}
        return self._envelope("meeting.participant_left", obj)

    def _recording_object(
        self, meeting: ZoomMeetingFacts, files: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "id": meeting.id,  # a number in recording.* events
            "uuid": meeting.uuid,
            "host_id": meeting.host_id,
            "host_email": meeting.host_email,
            "account_id": self._account_id,
            "topic": meeting.topic,
            "type": meeting.type,
            "start_time": utc_z(meeting.start_time),
            "timezone": meeting.timezone,
            "duration": meeting.duration,
            "password": "",
            "recording_play_passcode": secrets.token_urlsafe(24),
            "share_url": f"https://us05web.zoom.us/rec/share/{secrets.token_urlsafe(24)}",
            "total_size": sum(int(f.get("file_size", 0)) for f in files),
            "recording_count": len(files),
            "recording_files": files,
        }

    def recording_files(
        self, meeting: ZoomMeetingFacts, download_base: str = "https://us05web.zoom.us"
    ) -> list[dict[str, Any]]:
        """MP4, M4A and CHAT files, plus CC and TIMELINE files without id/status/size/type."""
        start = meeting.start_time
        end = start + timedelta(minutes=meeting.duration)
        files: list[dict[str, Any]] = []
        for file_type, ext, recording_type, size in (
            ("MP4", "MP4", "shared_screen_with_speaker_view", 104_857_600),
            ("M4A", "M4A", "audio_only", 20_971_520),
            ("CHAT", "TXT", "chat_file", 1_024),
        ):
            file_id = str(uuid.uuid4())
            files.append(
                {
                    "id": file_id,
                    "meeting_id": meeting.uuid,
                    "recording_start": utc_z(start),
                    "recording_end": utc_z(end),
                    "file_type": file_type,
                    "file_extension": ext,
                    "file_size": size,
                    "play_url": f"{download_base}/rec/play/{file_id}",
                    "download_url": f"{download_base}/rec/download/{file_id}",
                    "status": "completed",
                    "recording_type": recording_type,
                }
            )
        for file_type, ext in (("CC", "VTT"), ("TIMELINE", "JSON")):
            files.append(
                {
                    "meeting_id": meeting.uuid,
                    "recording_start": utc_z(start),
                    "recording_end": utc_z(end),
                    "file_type": file_type,
                    "file_extension": ext,
                    "download_url": f"{download_base}/rec/download/{uuid.uuid4()}",
                }
            )
        return files

    def recording_completed(
        self,
        meeting: ZoomMeetingFacts,
        files: list[dict[str, Any]],
        download_token: str,
    ) -> dict[str, Any]:
        obj = self._recording_object(meeting, files)
        return self._envelope("recording.completed", obj, download_token=download_token)

    def transcript_completed(
        self, meeting: ZoomMeetingFacts, download_token: str, download_base: str
    ) -> dict[str, Any]:
        start = meeting.start_time
        file_id = str(uuid.uuid4())
        transcript = {
            "id": file_id,
            "meeting_id": meeting.uuid,
            "recording_start": utc_z(start),
            "recording_end": utc_z(start + timedelta(minutes=meeting.duration)),
            "file_type": "TRANSCRIPT",
            "file_extension": "VTT",
            "file_size": 48_213,
            "download_url": f"{download_base}/rec/download/{file_id}",
            "status": "completed",
            "recording_type": "audio_transcript",
        }
        obj = self._recording_object(meeting, [transcript])
        return self._envelope("recording.transcript_completed", obj, download_token=download_token)

    def recording_trashed(
        self,
        meeting: ZoomMeetingFacts,
        files: list[dict[str, Any]],
        download_token: str,
        operator: str = "owner@example.com",
    ) -> dict[str, Any]:
        return self._envelope(
            "recording.trashed",
            self._recording_object(meeting, files),
            download_token=download_token,
            operator=operator,
        )

    def recording_deleted(
        self,
        meeting: ZoomMeetingFacts,
        files: list[dict[str, Any]],
        operator: str = "owner@example.com",
    ) -> dict[str, Any]:
        return self._envelope(
            "recording.deleted",
            self._recording_object(meeting, files),
            operator=operator,
        )

    # -- wire ------------------------------------------------------------------------

    @staticmethod
    def encode(body: Mapping[str, Any]) -> bytes:
        """Compact JSON with raw UTF-8, the way Zoom serialises events."""
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def headers(
        self, raw_body: bytes, *, request_id: str, timestamp: int | None = None
    ) -> dict[str, str]:
        stamp = str(int(self._clock()) if timestamp is None else timestamp)
        return {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Zoom Marketplace/1.0a",
            "x-zm-request-id": request_id,
            "x-zm-trackingid": "v=2.0;clid=us05;rid=" + secrets.token_hex(8).upper(),
            "x-zm-request-timestamp": stamp,
            "x-zm-signature": sign(self._secret, stamp, raw_body),
        }

    async def send(
        self,
        url: str,
        body: Mapping[str, Any] | bytes,
        *,
        timestamp: int | None = None,
        request_id: str | None = None,
    ) -> httpx.Response:
        """One signed POST; ``body`` as bytes is sent (and signed) verbatim."""
        raw = body if isinstance(body, bytes) else self.encode(body)
        headers = self.headers(raw, request_id=request_id or _request_id(), timestamp=timestamp)
        if self._client is not None:
            return await self._client.post(url, content=raw, headers=headers)
        async with httpx.AsyncClient(timeout=3.0) as client:
            return await client.post(url, content=raw, headers=headers)

    async def deliver(
        self, url: str, body: Mapping[str, Any] | bytes, *, time_scale: float = 1.0
    ) -> list[int | str]:
        """Send with Zoom's retry policy; returns each attempt's status (or error name)."""
        request_id = _request_id()
        outcomes: list[int | str] = []
        for delay in (0.0, *_RETRY_DELAYS):
            if delay:
                await self._sleep(delay / time_scale)
            try:
                response = await self.send(url, body, request_id=request_id)
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
                continue
            outcomes.append(response.status_code)
            if response.status_code < 500:
                break
        return outcomes


def _participant(who: ZoomParticipant) -> dict[str, Any]:
    return {
        "user_id": who.user_id,
        "user_name": who.user_name,
        "id": who.id,
        "participant_uuid": who.participant_uuid or str(uuid.uuid4()).upper(),
        "email": who.email,
        "registrant_id": "",
        "participant_user_id": who.id,
        "customer_key": "",
        "phone_number": "",
    }


def _request_id() -> str:
    return str(uuid.uuid4()).replace("-", "_")
