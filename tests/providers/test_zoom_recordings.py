"""Recording links and deletion through the Zoom backend, against the fake Zoom."""

from __future__ import annotations

import httpx

from server.providers.recording_backends import RecordingRef
from server.providers.zoom_recordings import ZoomRecordings

from .conftest import ZoomRig, cloud_recording

ORG = "org-rec"


async def recorded(zoom: ZoomRig) -> tuple[dict[str, object], dict[str, object]]:
    meeting = await zoom.client.create_meeting(ORG, "me", {"topic": "Recorded", "type": 2})
    recording = zoom.fake.add_recording(int(str(meeting["id"])))
    listed = await cloud_recording(zoom, ORG, str(recording["uuid"]))
    files = listed["recording_files"]
    video = next(f for f in files if f["file_type"] == "MP4")
    return listed, video


def ref(listed: dict[str, object], file: dict[str, object], token: str | None) -> RecordingRef:
    return RecordingRef(
        recording_id="r1",
        org_id=ORG,
        class_id="c1",
        provider="zoom",
        provider_file_id=str(file["id"]),
        meeting_uuid=str(listed["uuid"]),
        provider_file_type="MP4",
        download_url=str(file["download_url"]),
        play_url=None,
        download_token=token,
    )


async def test_download_link_uses_a_fresh_api_token_when_the_webhook_token_is_gone(
    zoom: ZoomRig,
) -> None:
    listed, video = await recorded(zoom)
    link = await ZoomRecordings(zoom.client).download_link(ref(listed, video, None))
    async with httpx.AsyncClient(follow_redirects=True) as http:
        downloaded = await http.get(link)
    assert downloaded.status_code == 200
    assert downloaded.content.startswith(b"fake recording")


async def test_download_link_prefers_the_webhook_token(zoom: ZoomRig) -> None:
    listed, video = await recorded(zoom)
    token = zoom.fake.issue_download_token()
    link = await ZoomRecordings(zoom.client).download_link(ref(listed, video, token))
    assert link.endswith(f"access_token={token}")
    async with httpx.AsyncClient(follow_redirects=True) as http:
        assert (await http.get(link)).status_code == 200
        refused = await http.get(link.replace(token, "stale"))
    assert refused.status_code == 401


async def test_delete_moves_the_file_to_the_trash(zoom: ZoomRig) -> None:
    listed, video = await recorded(zoom)
    await ZoomRecordings(zoom.client).delete(ref(listed, video, None))
    after = await cloud_recording(zoom, ORG, str(listed["uuid"]))
    assert video["id"] not in [f.get("id") for f in after["recording_files"]]
