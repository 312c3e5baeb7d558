"""ZoomClient and ZoomProvider against the fake Zoom over real HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from server.errors import ProviderError
from server.providers.base import Attendee, MeetingRequest
from server.providers.transport import ProviderTransport
from server.providers.zoom import ZoomClient, ZoomProvider, encode_meeting_id
from server.settings import Settings

from .conftest import ZoomRig, cloud_recording

ORG = "org-1"


def class_request(**changes: object) -> MeetingRequest:
    values: dict[str, object] = {
        "class_id": "class-1",
        "org_id": ORG,
        "title": "Algebra I",
        "description": "Linear equations",
        "start": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        "end": datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "auto_recording": "cloud",
        "host_user_id": "teacher-1",
        "waiting_room": True,
        "join_before_host": False,
    }
    values.update(changes)
    return MeetingRequest(**values)  # type: ignore[arg-type]


async def test_s2s_token_is_cached_and_refreshed_near_expiry(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t", "type": 2})
    await zoom.client.get_meeting(ORG, str(created["id"]))
    assert zoom.fake.grants == ["account_credentials"]

    zoom.clock.now += 3600 - 59  # within the 60 s skew of expiry
    await zoom.client.get_meeting(ORG, str(created["id"]))
    assert zoom.fake.grants == ["account_credentials", "account_credentials"]


async def test_concurrent_calls_share_one_token_request(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting("org-2", "me", {"topic": "t"})
    zoom.fake.grants.clear()
    zoom.clock.now += 4000
    await asyncio.gather(*(zoom.client.get_meeting("org-2", str(created["id"])) for _ in range(5)))
    assert zoom.fake.grants == ["account_credentials"]


async def test_a_rejected_token_is_refreshed_and_the_call_retried_once(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    zoom.fake.expire_tokens()  # the cached token now gets 401 {"code":124}
    meeting = await zoom.client.get_meeting(ORG, str(created["id"]))
    assert meeting["id"] == created["id"]
    assert zoom.fake.grants == ["account_credentials", "account_credentials"]


async def test_unconfigured_organization_is_a_provider_error(zoom: ZoomRig) -> None:
    bare = ZoomClient(
        ProviderTransport("zoom", timeout=5.0), api_base=f"{zoom.url}/v2", oauth_base=zoom.url
    )
    try:
        with pytest.raises(ProviderError, match="not connected"):
            await bare.get_meeting(ORG, "1")
    finally:
        await bare.aclose()


async def test_user_oauth_code_exchange_and_rotating_refresh(zoom: ZoomRig) -> None:
    redirect = "https://liveclass.example/api/integrations/zoom/callback"
    url = zoom.client.authorize_url("state-123", redirect)
    assert url.startswith(f"{zoom.url}/oauth/authorize?response_type=code")
    async with httpx.AsyncClient() as http:
        consent = await http.get(url)
    assert consent.status_code == 302
    callback = httpx.URL(consent.headers["location"])
    assert callback.params["state"] == "state-123"

    await zoom.client.exchange_code("org-u", callback.params["code"], redirect)
    first = await zoom.store.load("org-u", "zoom")
    assert first is not None and first["refresh_token"] and first["access_token"]
    created = await zoom.client.create_meeting("org-u", "me", {"topic": "mine"})
    assert zoom.fake.grants == ["authorization_code"]

    zoom.clock.now += 3600  # the access token expired: refresh, rotating the refresh token
    await zoom.client.get_meeting("org-u", str(created["id"]))
    second = await zoom.store.load("org-u", "zoom")
    assert second is not None
    assert zoom.fake.grants == ["authorization_code", "refresh_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert zoom.store.saves[("org-u", "zoom")] == 2  # each save replaced the whole record

    # The old refresh token is dead at Zoom: using it again fails with Zoom's message.
    await zoom.store.save("org-u", "zoom", {**second, "refresh_token": first["refresh_token"]})
    zoom.clock.now += 3600
    with pytest.raises(ProviderError, match="Invalid Token!"):
        await zoom.client.get_meeting("org-u", str(created["id"]))


async def test_stored_s2s_credentials_win_over_settings(zoom: ZoomRig) -> None:
    await zoom.store.save(
        "org-s",
        "zoom",
        {"account_id": "wrong", "client_id": zoom.fake.client_id, "client_secret": "x"},
    )
    with pytest.raises(ProviderError, match="Invalid client_id or client_secret"):
        await zoom.client.get_meeting("org-s", "1")


async def test_provider_create_update_get_delete(zoom: ZoomRig) -> None:
    provider = ZoomProvider(zoom.client)
    meeting = await provider.create_meeting(class_request())

    held = zoom.fake.meetings[int(meeting.meeting_id)]
    assert held["start_time"] == "2026-03-02T09:30:00Z"
    assert held["duration"] == 46  # 45.5 minutes, rounded up
    assert held["timezone"] == "Europe/Paris"
    assert held["type"] == 2
    assert held["settings"]["auto_recording"] == "cloud"
    assert held["settings"]["waiting_room"] is True
    assert held["host_id"] == zoom.fake.owner["id"]
    assert meeting.passcode is not None and len(meeting.passcode) == 10
    assert meeting.passcode == held["password"]
    assert meeting.join_url == held["join_url"] and meeting.host_url == held["start_url"]
    assert meeting.data["uuid"] == held["uuid"] and meeting.data["host_id"] == held["host_id"]
    attendee = Attendee(user_id="s1", name="Ann", email=None, is_host=False)
    assert provider.join_link(meeting, attendee) == meeting.join_url

    later = class_request(
        title="Algebra I (moved)",
        start=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        end=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
    )
    updated = await provider.update_meeting(meeting, later)
    assert updated.meeting_id == meeting.meeting_id
    fetched = await zoom.client.get_meeting(ORG, meeting.meeting_id)
    assert fetched["topic"] == "Algebra I (moved)"
    assert fetched["start_time"] == "2026-03-03T09:00:00Z" and fetched["duration"] == 60
    assert fetched["password"] == meeting.passcode  # updates keep the passcode

    await provider.delete_meeting(meeting, ORG)
    assert int(meeting.meeting_id) not in zoom.fake.meetings
    await provider.delete_meeting(meeting, ORG)  # already gone (404/3001) is fine
    with pytest.raises(ProviderError, match=r"404: Meeting does not exist"):
        await zoom.client.get_meeting(ORG, meeting.meeting_id)


async def test_host_email_picks_the_zoom_user(zoom: ZoomRig) -> None:
    teacher = zoom.fake.add_user("teacher@example.com")
    meeting = await ZoomProvider(zoom.client).create_meeting(
        class_request(host_email="teacher@example.com")
    )
    assert meeting.data["host_id"] == teacher["id"]
    with pytest.raises(ProviderError, match="User does not exist"):
        await ZoomProvider(zoom.client).create_meeting(class_request(host_email="no@x.org"))


async def test_deleting_a_meeting_in_progress_surfaces_zoom_message(zoom: ZoomRig) -> None:
    meeting = await ZoomProvider(zoom.client).create_meeting(class_request())
    zoom.fake.start_meeting(int(meeting.meeting_id))
    with pytest.raises(ProviderError, match="cannot delete this meeting") as caught:
        await zoom.client.delete_meeting(ORG, meeting.meeting_id)
    assert caught.value.details == {"status": 400, "provider_code": 3002}


async def test_invalid_fields_surface_the_validation_message(zoom: ZoomRig) -> None:
    with pytest.raises(ProviderError, match="Validation Failed"):
        await zoom.client.create_meeting(ORG, "me", {"topic": "t", "password": "x" * 11})


async def test_participants_report_walks_every_page(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    uuid = zoom.fake.add_instance(created["id"], participants=7)
    before = zoom.fake.faults.requests
    rows = [row async for row in zoom.client.participants_report(ORG, uuid, page_size=3)]
    assert [row["name"] for row in rows] == [f"Student {n}" for n in range(7)]
    assert zoom.fake.faults.requests - before == 3
    by_id = [row async for row in zoom.client.participants_report(ORG, str(created["id"]))]
    assert len(by_id) == 7  # a meeting id means its latest instance


def test_uuid_encoding_follows_zooms_rule() -> None:
    assert encode_meeting_id("85393847045") == "85393847045"
    assert encode_meeting_id("jUh5o3dKQIytvcsfTtKBlg==") == "jUh5o3dKQIytvcsfTtKBlg%3D%3D"
    assert encode_meeting_id("ab/cd+ef==") == "ab%2Fcd%2Bef%3D%3D"
    assert (
        encode_meeting_id("/d1NWtbTHn//VqH8tkgeFw==")
        == "%252Fd1NWtbTHn%252F%252FVqH8tkgeFw%253D%253D"
    )
    assert encode_meeting_id("ab//cd==").startswith("ab%252F%252F")


@pytest.mark.parametrize("uuid", ["/d1NWtbTHn//VqH8tkgeFw==", "Xy//z+Q==", "ab/cd+ef=="])
async def test_uuids_with_slashes_reach_the_right_instance(zoom: ZoomRig, uuid: str) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    zoom.fake.add_instance(created["id"], uuid=uuid, participants=2)
    zoom.fake.add_instance(created["id"], participants=5)  # a later instance
    rows = [row async for row in zoom.client.participants_report(ORG, uuid)]
    assert len(rows) == 2


async def test_a_recording_file_is_deleted_by_its_instance_uuid(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    uuid = "/rec//uuid=="
    zoom.fake.add_recording(created["id"], uuid=uuid)
    recording = await cloud_recording(zoom, ORG, uuid)
    files = recording["recording_files"]
    assert recording["uuid"] == uuid and recording["id"] == created["id"]
    cc = next(f for f in files if f["file_type"] == "CC")
    assert not {"id", "status", "file_size", "recording_type"} & cc.keys()
    mp4 = next(f for f in files if f["file_type"] == "MP4")

    assert await zoom.client.delete_recording_file(ORG, uuid, mp4["id"]) is True
    assert await zoom.client.delete_recording_file(ORG, uuid, mp4["id"]) is False  # already gone
    again = await cloud_recording(zoom, ORG, str(created["id"]))
    left = [f.get("id") for f in again["recording_files"] if f["file_type"] != "CC"]
    assert mp4["id"] not in left and len(left) == len(files) - 2  # CC and the MP4


async def test_recording_downloads_redirect_with_a_download_token(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    zoom.fake.add_recording(created["id"])
    recording = await cloud_recording(zoom, ORG, str(created["id"]))
    url = recording["recording_files"][0]["download_url"]
    token = zoom.fake.issue_download_token()
    async with httpx.AsyncClient(follow_redirects=True) as http:
        by_header = await http.get(url, headers={"Authorization": f"Bearer {token}"})
        by_query = await http.get(url, params={"access_token": token})
        refused = await http.get(url)
    assert by_header.status_code == 200 and by_header.history[0].status_code == 302
    assert by_header.content.startswith(b"fake recording")
    assert by_query.status_code == 200
    assert refused.status_code == 401 and refused.json()["code"] == 124


async def test_client_from_settings(zoom: ZoomRig) -> None:
    settings = Settings(
        zoom_account_id=zoom.fake.account_id,
        zoom_client_id=zoom.fake.client_id,
        zoom_client_secret=zoom.fake.client_secret,
        zoom_api_base=f"{zoom.url}/v2",
        zoom_oauth_base=zoom.url,
    )
    async with httpx.AsyncClient() as shared:
        client = ZoomClient.from_settings(settings, client=shared, sleep=zoom.sleeps)
        meeting = await ZoomProvider(client).create_meeting(class_request())
        client.forget(ORG)
        await client.get_meeting(ORG, meeting.meeting_id)
        await client.aclose()  # a shared pool stays open for its owner
        assert not shared.is_closed
    assert zoom.fake.grants == ["account_credentials", "account_credentials"]


async def test_incomplete_stored_credentials_are_a_clear_error(zoom: ZoomRig) -> None:
    await zoom.store.save("org-x", "zoom", {"client_id": "only"})
    with pytest.raises(ProviderError, match="incomplete"):
        await zoom.client.get_meeting("org-x", "1")
