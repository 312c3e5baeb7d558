"""Driving the app as Zoom does: signed deliveries to the real webhook endpoint."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.db.tables import webhook_events
from tests.fakes.zoom_webhooks import ZoomMeetingFacts, ZoomWebhookSender

from .backends import ZOOM_WEBHOOK_SECRET
from .platform import Platform
from .waiting import wait_until

__all__ = ["ZoomDriver"]

FINISHED = ("done", "ignored", "failed", "rejected")


@dataclass
class ZoomDriver:
    platform: Platform
    sender: ZoomWebhookSender

    @classmethod
    def for_platform(cls, platform: Platform) -> ZoomDriver:
        return cls(platform, ZoomWebhookSender(ZOOM_WEBHOOK_SECRET, client=platform.http))

    @property
    def url(self) -> str:
        return f"{self.platform.server.url}/api/zoom/webhook"

    def meeting(self, created: dict[str, Any], start: datetime) -> ZoomMeetingFacts:
        """The Zoom meeting behind a class (scripted provider or fake Zoom link)."""
        found = re.search(r"/j/(\d+)", created["join_url"])
        assert found is not None, created["join_url"]
        meeting_id = found.group(1)
        return ZoomMeetingFacts(
            id=int(meeting_id),
            uuid=secrets.token_urlsafe(16) + "==",
            host_id="zoom-host",
            topic=created["title"],
            start_time=start,
        )

    async def send(self, body: dict[str, Any] | bytes, **kwargs: Any) -> Any:
        return await self.sender.send(self.url, body, **kwargs)

    async def deliver(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send, expect 200, and wait until the worker finished with the event."""
        response = await self.send(body)
        assert response.status_code == 200, response.text
        return await self.settled(int(response.json()["data"]["id"]))

    async def settled(self, event_id: int) -> dict[str, Any]:
        """The event's row once the worker finished with it (10 s at most)."""
        db = self.platform.server.state.ctx.db
        query = select(webhook_events).where(webhook_events.c.id == event_id)
        found: dict[str, Any] = {}

        async def finished() -> bool:
            async with db.read() as conn:
                found.update((await conn.execute(query)).mappings().one())
            return found["status"] in FINISHED

        await wait_until(finished, within=10, what=f"webhook event {event_id} finished")
        return found
