"""GoogleClient and GoogleMeetProvider against the fake Google over real HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from server.errors import BadRequest, ProviderError
from server.providers.base import Attendee, MeetingRequest
from server.providers.google_meet import GoogleClient, GoogleMeetProvider, derived_id
from server.settings import Settings

from .conftest import GoogleRig

ORG = "org-1"


def class_request(class_id: str = "class-42", **changes: object) -> MeetingRequest:
    values: dict[str, object] = {
        "class_id": class_id,
        "org_id": ORG,
        "title": "Biology",
        "description": "Cells",
        "start": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "end": datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "auto_recording": "none",
        "host_user_id": "teacher-1",
    }
    values.update(changes)
    return MeetingRequest(**values)  # type: ignore[arg-type]


def test_derived_ids_are_stable_base32hex() -> None:
    event_id = derived_id("event", "class-42")
    assert event_id == derived_id("event", "class-42")
    assert re.fullmatch(r"[a-v0-9]{5,1024}", event_id)
    assert derived_id("conference", "class-42") != event_id
    assert derived_id("event", "class-43") != event_id


async def test_create_waits_for_the_pending_conference(google: GoogleRig) -> None:
    google.fake.conference_ready_after = 2
    meeting = await GoogleMeetProvider(google.client).create_meeting(class_request())
    event = google.fake.events["primary"][meeting.meeting_id]
    assert meeting.meeting_id == derived_id("event", "class-42")
    assert meeting.join_url == event["hangoutLink"]
    assert meeting.join_url.startswith("https://meet.google.com/")
    assert meeting.data["meeting_code"] == event["conferenceData"]["conferenceId"]
    request = event["conferenceData"]["createRequest"]
    assert request["requestId"] == derived_id("conference", "class-42")
    assert request["conferenceSolutionKey"] == {"type": "hangoutsMeet"}
    assert request["status"]["statusCode"] == "success"
    assert google.sleeps.waits == [0.5, 0.5]
    assert event["start"] == {"dateTime": "2026-03-02T09:30:00+00:00", "timeZone": "Europe/Paris"}
    attendee = Attendee(user_id="s", name="S", email=None, is_host=False)
    assert GoogleMeetProvider(google.client).join_link(meeting, attendee) == meeting.join_url


async def test_conference_failure_is_a_provider_error(google: GoogleRig) -> None:
    google.fake.conference_outcome = "failure"
    with pytest.raises(ProviderError, match="could not create the Meet conference"):
        await GoogleMeetProvider(google.client).create_meeting(class_request())


async def test_a_conference_pending_too_long_is_a_provider_error(google: GoogleRig) -> None:
    google.fake.conference_ready_after = 100
    with pytest.raises(ProviderError, match="not finished creating"):
        await GoogleMeetProvider(google.client).create_meeting(class_request())
    assert len(google.sleeps.waits) == 5  # ConferencePolling.attempts


async def test_a_retried_create_makes_one_event(google: GoogleRig) -> None:
    provider = GoogleMeetProvider(google.client)
    first = await provider.create_meeting(class_request())
    second = await provider.create_meeting(class_request())  # e.g. a retry after a lost answer
    assert first.meeting_id == second.meeting_id and first.join_url == second.join_url
    assert google.fake.inserts == 2 and len(google.fake.events["primary"]) == 1


async def test_without_conference_data_version_the_fake_ignores_conference(
    google: GoogleRig,
) -> None:
    form = {
        "grant_type": "refresh_token",
        "client_id": google.fake.client_id,
        "client_secret": google.fake.client_secret,
        "refresh_token": google.fake.add_refresh_token(),
    }
    body = {
        "summary": "x",
        "start": {"dateTime": "2026-03-02T09:30:00Z"},
        "end": {"dateTime": "2026-03-02T10:30:00Z"},
        "conferenceData": {"createRequest": {"requestId": "r1"}},
    }
    async with httpx.AsyncClient() as http:
        token = (await http.post(f"{google.url}/token", data=form)).json()["access_token"]
        answer = await http.post(
            f"{google.url}/calendar/v3/calendars/primary/events",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        bad = await http.post(
            f"{google.url}/calendar/v3/calendars/primary/events",
            params={"sendUpdates": "everyone"},
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200 and "conferenceData" not in answer.json()
    assert bad.status_code == 400
    assert bad.json()["error"]["errors"][0]["reason"] == "invalid"


async def test_update_and_delete(google: GoogleRig) -> None:
    provider = GoogleMeetProvider(google.client)
    meeting = await provider.create_meeting(class_request())
    moved = class_request(
        title="Biology (moved)",
        start=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        end=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
    )
    updated = await provider.update_meeting(meeting, moved)
    event = google.fake.events["primary"][meeting.meeting_id]
    assert event["summary"] == "Biology (moved)" and event["sequence"] == 1
    assert updated.join_url == meeting.join_url  # the conference survives the patch

    await provider.delete_meeting(meeting, ORG)
    assert event["status"] == "cancelled"
    await provider.delete_meeting(meeting, ORG)  # 410: already gone
    assert await google.client.delete_event(ORG, "unknownid") is False  # 404


async def test_invalid_grant_is_a_clear_error(google: GoogleRig) -> None:
    revoked = google.fake.add_refresh_token()
    await google.store.save("org-r", "google_meet", {"refresh_token": revoked})
    google.fake.revoke(revoked)
    with pytest.raises(ProviderError, match=r"refused the grant \(invalid_grant") as caught:
        await google.client.get_event("org-r", "whatever")
    assert "connected again" in str(caught.value)
    assert caught.value.details["provider_code"] == "invalid_grant"


async def test_refresh_keeps_the_refresh_token_and_reads_string_expiry(
    google: GoogleRig,
) -> None:
    refresh = google.fake.add_refresh_token()
    await google.store.save("org-s", "google_meet", {"refresh_token": refresh})
    google.fake.expires_in_as_string = True
    await GoogleMeetProvider(google.client).create_meeting(class_request(org_id="org-s"))
    record = await google.store.load("org-s", "google_meet")
    assert record is not None
    assert record["refresh_token"] == refresh  # Google sent none: ours is kept
    assert record["expires_at"] == google.clock.now + 3599
    assert google.fake.grants == ["refresh_token"]

    google.fake.expire_tokens()  # 401 -> one refresh, one retry
    await google.client.get_event("org-s", derived_id("event", "class-42"))
    assert google.fake.grants == ["refresh_token", "refresh_token"]


async def test_consent_flow_stores_tokens(google: GoogleRig) -> None:
    redirect = "https://liveclass.example/api/integrations/google/callback"
    url = httpx.URL(google.client.authorize_url("st", redirect))
    assert url.params["access_type"] == "offline" and url.params["prompt"] == "consent"
    assert "calendar.events" in url.params["scope"]
    code = google.fake.issue_code(redirect)
    await google.client.exchange_code("org-c", code, redirect)
    record = await google.store.load("org-c", "google_meet")
    assert record is not None and record["refresh_token"].startswith("1//")
    await GoogleMeetProvider(google.client).create_meeting(class_request(org_id="org-c"))
    assert google.fake.grants == ["authorization_code"]  # the fresh access token was used
    with pytest.raises(ProviderError, match="invalid_grant"):
        await google.client.exchange_code("org-c", code, redirect)  # codes are single-use


async def test_watch_replace_and_stop(google: GoogleRig) -> None:
    channel = await google.client.watch_events(
        ORG, "https://liveclass.example/api/google/webhook", ttl_seconds=3600
    )
    assert channel.token and len(channel.token) >= 32
    assert channel.expiration == datetime.fromtimestamp(google.clock.now + 3600, UTC)
    held = google.fake.channels[channel.id]
    assert held["token"] == channel.token and held["resourceId"] == channel.resource_id

    # Channels cannot be extended: renewing opens a new one, then stops the old one.
    renewed = await google.client.watch_events(ORG, "https://liveclass.example/api/google/webhook")
    await google.client.stop_channel(ORG, channel.id, channel.resource_id)
    assert renewed.id != channel.id and renewed.token != channel.token
    assert set(google.fake.channels) == {renewed.id}
    await google.client.stop_channel(ORG, renewed.id, renewed.resource_id)
    assert google.fake.channels == {}
    await google.client.stop_channel(ORG, renewed.id, renewed.resource_id)  # 404 is fine


async def test_meet_readers_walk_every_page(google: GoogleRig) -> None:
    other = google.fake.add_conference("zzz-zzzz-zzz", participants=1)
    older = google.fake.add_conference(
        "abc-defg-hij", participants=1, start=datetime(2025, 12, 1, tzinfo=UTC)
    )
    name = google.fake.add_conference(
        "abc-defg-hij", participants=130, sessions_per_participant=2, recordings=12, transcripts=1
    )
    records = [r async for r in google.client.conference_records(ORG, "abc-defg-hij")]
    assert [r["name"] for r in records] == [name, older]  # newest first, filtered
    assert other not in [r["name"] for r in records]

    participants = [p async for p in google.client.participants(ORG, name)]
    assert len(participants) == 130  # two pages of at most 100
    assert any("anonymousUser" in p for p in participants)
    sessions = [s async for s in google.client.participant_sessions(ORG, participants[0]["name"])]
    assert len(sessions) == 2
    recordings = [r async for r in google.client.recordings(ORG, name)]
    assert len(recordings) == 12  # two pages of at most 10
    assert recordings[0]["driveDestination"]["file"]
    transcripts = [t async for t in google.client.transcripts(ORG, name)]
    assert transcripts[0]["docsDestination"]["document"]


async def test_meet_filter_injection_is_refused(google: GoogleRig) -> None:
    with pytest.raises(BadRequest, match="invalid Meet meeting code"):
        [r async for r in google.client.conference_records(ORG, 'x" OR "1')]


async def test_a_deleted_class_event_cannot_be_recreated(google: GoogleRig) -> None:
    provider = GoogleMeetProvider(google.client)
    meeting = await provider.create_meeting(class_request())
    await provider.delete_meeting(meeting, ORG)
    with pytest.raises(ProviderError, match="deleted and Google never reuses ids"):
        await provider.create_meeting(class_request())


async def test_client_from_settings(google: GoogleRig) -> None:
    settings = Settings(
        google_client_id=google.fake.client_id,
        google_client_secret=google.fake.client_secret,
        google_refresh_token=google.fake.add_refresh_token(),
        google_token_url=f"{google.url}/token",
        google_calendar_api_base=f"{google.url}/calendar/v3",
        google_meet_api_base=f"{google.url}/v2",
    )
    client = GoogleClient.from_settings(settings, sleep=google.sleeps)
    try:
        meeting = await GoogleMeetProvider(client).create_meeting(class_request("from-settings"))
        assert meeting.join_url.startswith("https://meet.google.com/")
        client.forget(ORG)
        await client.get_event(ORG, meeting.meeting_id)
        assert google.fake.grants == ["refresh_token", "refresh_token"]
    finally:
        await client.aclose()
