"""Google Calendar push notifications through the real endpoint: channels, tokens, storage."""

from __future__ import annotations

import hashlib

from tests.support.google import PUBLIC_URL, GoogleWorld


async def test_the_first_meet_class_opens_one_channel(google: GoogleWorld) -> None:
    async with google.platform() as world:
        await google.schedule_meet(world)
        channel = await google.open_channel(world.org)
        assert channel["address"] == f"{PUBLIC_URL}/api/google/webhook"
        (stored,) = await google.channels(world.org)
        assert stored["token_hash"] == hashlib.sha256(channel["token"].encode()).hexdigest()
        assert stored["resource_id"] == channel["resourceId"] and stored["stopped_at"] is None

        await google.schedule_meet(world)
        await world.schedule(provider="jitsi")
        jobs = await google.events(org_id=world.org, event_type="channel.open")
        assert len(jobs) == 1 and len(await google.channels(world.org)) == 1


async def test_wrong_tokens_and_unknown_channels_are_refused_and_not_stored(
    google: GoogleWorld,
) -> None:
    async with google.platform() as world:
        await google.schedule_meet(world)
        channel = await google.open_channel(world.org)
        before = len(await google.events())
        forged = await google.push(world.http, channel["id"], token="not-the-token")
        assert forged.status_code == 401
        assert forged.json()["error"]["code"] == "unauthorized"
        missing = await google.push(world.http, channel["id"], token="")
        assert missing.status_code == 401

        unknown = await world.http.post(
            f"{google.server.url}/api/google/webhook",
            headers={
                "X-Goog-Channel-ID": "no-such-channel",
                "X-Goog-Channel-Token": channel["token"],
                "X-Goog-Resource-State": "exists",
                "X-Goog-Message-Number": "7",
            },
        )
        assert unknown.status_code == 401
        bare = await world.http.post(f"{google.server.url}/api/google/webhook")
        assert bare.status_code == 401
        assert len(await google.events()) == before


async def test_sync_is_acknowledged_without_storing(google: GoogleWorld) -> None:
    async with google.platform() as world:
        await google.schedule_meet(world)
        channel = await google.open_channel(world.org)
        before = len(await google.events())
        sync = await google.push(world.http, channel["id"], "sync")
        assert sync.status_code == 200
        assert sync.json()["data"] == {"id": None, "duplicate": False}
        assert len(await google.events()) == before


async def test_a_change_is_stored_once_however_often_delivered(google: GoogleWorld) -> None:
    async with google.platform() as world:
        await google.schedule_meet(world)
        channel = await google.open_channel(world.org)
        number = 41
        first = await google.push(world.http, channel["id"], "exists", message_number=number)
        assert first.status_code == 200 and first.json()["data"]["duplicate"] is False
        again = await google.push(world.http, channel["id"], "exists", message_number=number)
        assert again.json()["data"] == {"id": first.json()["data"]["id"], "duplicate": True}
        row = await google.settled(dedup_key=f"{channel['id']}:{number}")
        assert row["status"] == "done" and row["attempts"] == 1
        assert row["org_id"] == world.org and row["event_type"] == "exists"
        assert "x-goog-channel-token" not in row["headers"]
        assert row["headers"]["x-goog-resource-state"] == "exists"

        gone = await google.push(world.http, channel["id"], "not_exists")
        assert gone.status_code == 200
        assert (await google.settled(id=gone.json()["data"]["id"]))["status"] == "done"


async def test_an_odd_notice_with_a_good_token_is_kept_as_rejected(google: GoogleWorld) -> None:
    async with google.platform() as world:
        await google.schedule_meet(world)
        channel = await google.open_channel(world.org)
        odd = await google.push(world.http, channel["id"], "exploded")
        assert odd.status_code == 400
        assert "X-Goog-Resource-State" in odd.json()["error"]["message"]
        (rejected,) = await google.events(org_id=world.org, status="rejected")
        assert rejected["event_type"] == "malformed"
        assert rejected["headers"]["x-goog-resource-state"] == "exploded"
        no_number = await world.http.post(
            f"{google.server.url}/api/google/webhook",
            headers={
                "X-Goog-Channel-ID": channel["id"],
                "X-Goog-Channel-Token": channel["token"],
                "X-Goog-Resource-State": "exists",
            },
        )
        assert no_number.status_code == 400
        assert len(await google.events(org_id=world.org, status="rejected")) == 2


async def test_the_body_limit_applies(google: GoogleWorld) -> None:
    async with google.platform() as world:
        limit = google.server.settings.max_body_bytes
        response = await world.http.post(
            f"{google.server.url}/api/google/webhook", content=b"x" * (limit + 1)
        )
        assert response.status_code == 413
