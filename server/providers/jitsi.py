"""Jitsi Meet: rooms need no API call, only an unguessable name on the configured domain.

On a token-authenticated deployment (``LIVECLASS_JITSI_APP_ID`` and
``LIVECLASS_JITSI_APP_SECRET`` set) every join link carries a Jitsi JWT with
the claims ``prosody``'s ``token_verification`` checks: ``iss`` = app id,
``aud``, ``sub`` = the domain, ``room``, ``exp``/``nbf``/``iat``, and
``context.user`` with string ``id``/``name``/``email``.  Hosts also get
``context.user.affiliation = "owner"`` (read by the common
``token_affiliation`` plugin; plain deployments ignore it).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

import jwt

from .base import Attendee, Meeting, MeetingRequest

__all__ = ["JitsiProvider"]

# Jitsi strips these (and lowercases) when it derives the backend room name,
# so a slug of [a-z0-9-] survives every client unchanged.
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_TOKEN_SLACK = timedelta(hours=2)


def room_name(title: str) -> str:
    """A readable, unguessable room name: a slug of the title and 80 random bits."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")[:40].strip("-")
    suffix = secrets.token_hex(10)
    return f"{slug}-{suffix}" if slug else f"class-{suffix}"


class JitsiProvider:
    name = "jitsi"

    def __init__(
        self,
        domain: str,
        *,
        app_id: str | None = None,
        app_secret: str | None = None,
        audience: str = "jitsi",
    ) -> None:
        self._domain = domain.strip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._audience = audience

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        room = room_name(request.title)
        return Meeting(
            provider=self.name,
            meeting_id=room,
            join_url=f"https://{self._domain}/{room}",
            host_url=f"https://{self._domain}/{room}",
            data={"room": room, "token_valid_until": request.end.isoformat()},
        )

    async def update_meeting(self, meeting: Meeting, request: MeetingRequest) -> Meeting:
        # The room outlives schedule changes; only the token lifetime follows the end.
        return Meeting(
            provider=meeting.provider,
            meeting_id=meeting.meeting_id,
            join_url=meeting.join_url,
            host_url=meeting.host_url,
            passcode=meeting.passcode,
            data={**meeting.data, "token_valid_until": request.end.isoformat()},
        )

    async def delete_meeting(self, meeting: Meeting, org_id: str) -> None:
        """Nothing to delete: a Jitsi room exists only while people are in it."""

    def join_link(self, meeting: Meeting, attendee: Attendee) -> str:
        if not (self._app_id and self._app_secret):
            return meeting.join_url
        return f"{meeting.join_url}?jwt={self.token(meeting, attendee)}"

    def token(self, meeting: Meeting, attendee: Attendee) -> str:
        assert self._app_id and self._app_secret
        now = datetime.now(UTC)
        valid_until = datetime.fromisoformat(str(meeting.data["token_valid_until"]))
        user = {"id": attendee.user_id, "name": attendee.name, "email": attendee.email or ""}
        if attendee.is_host:
            user["affiliation"] = "owner"
        claims = {
            "iss": self._app_id,
            "aud": self._audience,
            "sub": self._domain,
            "room": meeting.meeting_id,
            "iat": now,
            "nbf": now - timedelta(minutes=1),
            "exp": max(valid_until, now) + _TOKEN_SLACK,
            "context": {"user": user},
        }
        return jwt.encode(claims, self._app_secret, algorithm="HS256")
