"""Processing failures: retried with backoff, kept as failed for admins, replayable, never lost."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.errors import ProviderError
from server.webhooks.worker import Outcome
from server.webhooks.zoom_events import ZoomEnvelope
from tests.support.platform import Platform
from tests.support.zoom import ZoomDriver

T0 = datetime(2031, 4, 4, 9, tzinfo=UTC)


class FlakyEffect:
    """Fails like a provider outage until ``failures`` runs out."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.applied = 0

    async def __call__(self, conn: AsyncConnection, row: RowMapping, env: ZoomEnvelope) -> Outcome:
        if self.failures > 0:
            self.failures -= 1
            raise ProviderError("Meet API unavailable", provider="google_meet")
        self.applied += 1
        return Outcome(note="applied")


async def flaky_event(
    platform: Platform, failures: int
) -> tuple[ZoomDriver, dict[str, Any], FlakyEffect]:
    """A Zoom event whose effect fails ``failures`` times (the app has its own database)."""
    created = await platform.schedule(
        provider="zoom",
        scheduled_start=T0.isoformat(),
        scheduled_end=(T0 + timedelta(hours=1)).isoformat(),
    )
    zoom = ZoomDriver.for_platform(platform)
    meeting = zoom.meeting(created, T0)
    event_name = f"test.flaky_{secrets.token_hex(4)}"
    effect = FlakyEffect(failures)
    platform.server.state.zoom_effects.register(event_name, effect)
    body = zoom.sender.meeting_started(meeting) | {"event": event_name}
    return zoom, body, effect


async def test_a_failing_effect_is_retried_until_it_succeeds(scripted_platform: Platform) -> None:
    zoom, body, effect = await flaky_event(scripted_platform, 2)
    row = await zoom.deliver(body)
    assert (row["status"], row["attempts"], row["note"]) == ("done", 3, "applied")
    assert effect.applied == 1 and row["last_error"] is None


async def test_an_event_that_keeps_failing_is_listed_and_can_be_replayed(
    scripted_platform: Platform,
) -> None:
    world = scripted_platform
    zoom, body, effect = await flaky_event(world, 3)
    row = await zoom.deliver(body)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "Meet API unavailable" in row["last_error"]
    assert effect.applied == 0

    failed = await world.call("GET", "/api/admin/webhook-events?status=failed", world.admin)
    assert [e["id"] for e in failed.json()["data"]] == [row["id"]]
    assert failed.json()["data"][0]["class_id"] == row["class_id"] is not None

    students = await world.call("GET", "/api/admin/webhook-events", world.students[0])
    assert students.status_code == 403
    foreign = world.person("admin", "Foreign", world.admin.role, org=f"{world.org}-x")
    hidden = await world.call("POST", f"/api/admin/webhook-events/{row['id']}/replay", foreign)
    assert hidden.status_code == 404
    replayed = await world.call(
        "POST", f"/api/admin/webhook-events/{row['id']}/replay", world.admin
    )
    assert replayed.status_code == 200 and replayed.json()["data"]["status"] == "pending"
    done = await zoom.settled(row["id"])
    assert (done["status"], done["attempts"], done["org_id"]) == ("done", 1, world.org)
    assert effect.applied == 1

    again = await world.call("POST", f"/api/admin/webhook-events/{row['id']}/replay", world.admin)
    assert again.status_code == 200  # done events may be replayed too
    await zoom.settled(row["id"])
    assert effect.applied == 2


async def test_replay_refuses_rejected_unknown_and_malformed_ids(platform: Platform) -> None:
    zoom = ZoomDriver.for_platform(platform)
    rejected = await zoom.send(b"{not json")
    assert rejected.status_code == 400
    operator = platform.person("root", "Operator", platform.admin.role, org="operator")
    listed = await platform.call(
        "GET", "/api/admin/webhook-events?status=rejected&limit=1", operator
    )
    event_id = listed.json()["data"][0]["id"]
    refused = await platform.call("POST", f"/api/admin/webhook-events/{event_id}/replay", operator)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_state"
    missing = await platform.call("POST", "/api/admin/webhook-events/999999999/replay", operator)
    assert missing.status_code == 404
    malformed = await platform.call("POST", "/api/admin/webhook-events/abc/replay", operator)
    assert malformed.status_code == 400
    bad_filter = await platform.call("GET", "/api/admin/webhook-events?status=lost", operator)
    assert bad_filter.status_code == 400
