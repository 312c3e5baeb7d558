"""Calendar push channels are renewed before they expire, once, whichever process notices."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.errors import ProviderError
from server.providers.google_meet import derived_id
from tests.support.google import GoogleWorld
from tests.support.platform import Platform


async def test_an_expiring_channel_is_replaced_once_and_the_old_one_stopped(
    google: GoogleWorld,
) -> None:
    async with google.platform() as world:
        old = await short_lived_channel(google, world)
        (created,) = (await world.call("GET", "/api/live-classes", world.mentor)).json()["data"]
        # Both processes' renewers notice it at once: one job, one new channel.
        queued = await asyncio.gather(*(google.state(i).google_channels.check() for i in (0, 1)))
        assert sum(queued) >= 1
        job = await google.settled(dedup_key=f"channel.open:{world.org}:{old['id']}")
        assert job["status"] == "done", job

        stale, fresh = await google.channels(world.org)
        assert stale["channel_id"] == old["id"] and stale["stopped_at"] is not None
        assert fresh["stopped_at"] is None
        assert old["id"] in google.fake.stopped and fresh["channel_id"] in google.fake.channels
        assert await google.state(1).google_channels.check() == 0

        google.fake.cancel_event(derived_id("event", created["id"]))
        renewed = await google.push(world.http, fresh["channel_id"], "exists")
        assert renewed.status_code == 200
        row = await google.settled(id=renewed.json()["data"]["id"])
        assert row["note"].startswith("1 cancelled")


async def short_lived_channel(google: GoogleWorld, world: Platform) -> dict[str, Any]:
    """A Meet class and its organization's channel, opened to expire in an hour."""
    google.fake.channel_ttl = 3600  # inside the 24 h renewal window
    try:
        await google.schedule_meet(world)
        return await google.open_channel(world.org)
    finally:
        google.fake.channel_ttl = 7 * 24 * 3600


async def test_a_failed_stop_leaves_the_old_channel_refused_here(
    google: GoogleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with google.platform() as world:
        old = await short_lived_channel(google, world)

        async def refuse(*args: object) -> None:
            raise ProviderError("google_meet answered 403: forbidden", provider="google_meet")

        for index in (0, 1):
            monkeypatch.setattr(google.state(index).google, "stop_channel", refuse)
        await google.state().google_channels.check()
        job = await google.settled(dedup_key=f"channel.open:{world.org}:{old['id']}")
        assert job["status"] == "done"
        assert old["id"] in google.fake.channels  # Google still has it ...
        late = await google.push(world.http, old["id"], "exists")
        assert late.status_code == 401  # ... but we refuse what it sends


async def test_a_failed_watch_is_retried_later(google: GoogleWorld) -> None:
    async with google.platform() as world:
        old = await short_lived_channel(google, world)
        google.fake.faults.fail_next(503, headers={"Retry-After": "0"}, times=4)
        await google.state().google_channels.check()
        key = f"channel.open:{world.org}:{old['id']}"
        failed = await google.wait_for(dedup_key=key, status="pending", attempts=1)
        assert "503" in failed["last_error"]
        assert len(await google.channels(world.org)) == 1

        google.clock.advance(minutes=5)
        assert (await google.settled(dedup_key=key))["status"] == "done"
        assert [c["stopped_at"] is None for c in await google.channels(world.org)] == [False, True]


async def test_organizations_without_meet_classes_get_no_channel(google: GoogleWorld) -> None:
    async with google.platform() as world:
        await world.schedule(provider="jitsi")
        await google.state().google_channels.check()
        assert await google.channels(world.org) == []
