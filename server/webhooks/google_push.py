"""Google Calendar push notifications: who sent one (its channel's token) and what it says.

A notification is a ``POST`` whose information is all in headers
(``X-Goog-Channel-ID``, ``X-Goog-Channel-Token``, ``X-Goog-Resource-State``,
``X-Goog-Message-Number``, ...); it only says "something on this calendar
changed", never what.  The channel token is the only authenticator Google
offers: we keep its sha256 and compare in constant time.  A channel we do
not know, a stopped one (replaced by a newer channel) and a wrong token are
all refused the same way.

What Google does with a non-2xx answer is not documented in the sources we
have (docs/providers.md); the intake therefore answers
2xx as soon as the row is stored and does every provider call in the worker.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.inbox import IncomingEvent, kept_headers
from ..db.tables import google_channels
from ..errors import BadRequest, Unauthorized
from ..services.google_jobs import PROVIDER

__all__ = [
    "CHANGE_STATES",
    "KEPT_HEADERS",
    "PushNotice",
    "channel_org",
    "read_notice",
    "token_hash",
]

# Kept for audit; the channel token never is.
KEPT_HEADERS = (
    "x-goog-channel-id",
    "x-goog-message-number",
    "x-goog-resource-id",
    "x-goog-resource-state",
    "x-goog-resource-uri",
    "x-goog-channel-expiration",
    "user-agent",
)
SYNC = "sync"
CHANGE_STATES = ("exists", "not_exists")
_ch = google_channels.c
_REFUSED = "unknown push channel or wrong channel token"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class PushNotice:
    channel_id: str
    org_id: str
    state: str
    message_number: str
    headers: dict[str, str]

    @property
    def is_sync(self) -> bool:
        """The first message of a new channel: nothing changed, nothing to store."""
        return self.state == SYNC

    def event(self) -> IncomingEvent:
        """The inbox row of a change; a redelivery has the same key."""
        return IncomingEvent(
            PROVIDER,
            self.state,
            f"{self.channel_id}:{self.message_number}",
            self.headers,
            payload={
                "org_id": self.org_id,
                "channel_id": self.channel_id,
                "resource_state": self.state,
                "message_number": int(self.message_number),
            },
            org_id=self.org_id,
        )


async def channel_org(conn: AsyncConnection, channel_id: str | None, token: str | None) -> str:
    """The organization of a live channel whose token matches; 401 otherwise."""
    if not channel_id or not token:
        raise Unauthorized(_REFUSED)
    row = (
        await conn.execute(
            select(_ch.org_id, _ch.token_hash).where(
                _ch.channel_id == channel_id[:64], _ch.stopped_at.is_(None)
            )
        )
    ).first()
    # Hash even when the channel is unknown, so timing tells nothing.
    offered = token_hash(token)
    if row is None or not hmac.compare_digest(offered, row.token_hash):
        raise Unauthorized(_REFUSED)
    return str(row.org_id)


def read_notice(org_id: str, headers: Mapping[str, str]) -> PushNotice:
    """The notice of an authenticated channel; 400 for a state or number Google never sends."""
    state = headers.get("x-goog-resource-state", "")
    number = headers.get("x-goog-message-number", "")
    if state != SYNC and state not in CHANGE_STATES:
        raise BadRequest(f"unknown X-Goog-Resource-State {state[:40]!r}")
    if not number.isdigit() or len(number) > 19:
        raise BadRequest("X-Goog-Message-Number must be a number")
    return PushNotice(
        channel_id=headers["x-goog-channel-id"],
        org_id=org_id,
        state=state,
        message_number=number,
        headers=kept_headers(headers, KEPT_HEADERS),
    )
