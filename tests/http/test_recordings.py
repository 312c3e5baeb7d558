"""Recordings: who sees which, grants, play/download redirects, deletion, webhook idempotency."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.auth import Role
from server.db.tables import class_participants, recordings
from server.services.context import ServiceContext
from server.services.recordings import tombstone_recordings
from tests.support.clock import FakeClock
from tests.support.platform import Person, Platform
from tests.support.recordings import DOWNLOAD_TOKEN, FakeBackend, seed_recordings, zoom_files


def _ctx(platform: Platform) -> ServiceContext:
    ctx: ServiceContext = platform.server.state.ctx
    return ctx


@pytest.fixture
def zoom_backend(platform: Platform) -> Iterator[FakeBackend]:
    """A fake recording backend registered for ``zoom`` for one test."""
    fake = FakeBackend()
    backends = _ctx(platform).recording_backends
    backends["zoom"] = fake
    yield fake
    del backends["zoom"]


@pytest.fixture
async def recorded(platform: Platform) -> AsyncIterator[dict[str, Any]]:
    """A class with Zoom's video, audio and captions; ``ids`` by file type."""
    created = await platform.schedule()
    uuid = f"uuid-{secrets.token_hex(4)}=="
    start = _ctx(platform).clock().replace(microsecond=0)
    assert await seed_recordings(platform, created["id"], zoom_files(uuid, start)) == 3
    listed = await platform.call(
        "GET", f"/api/live-classes/{created['id']}/recordings", platform.mentor
    )
    ids = {item["file_type"]: item["recording_id"] for item in listed.json()["data"]}
    yield {"class": created, "uuid": uuid, "ids": ids, "start": start}


def _listed(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["file_type"] for item in response.json()["data"]]


async def _grant(platform: Platform, recording_id: str, who: Person, **body: Any) -> httpx.Response:
    return await platform.call("POST", f"/api/recordings/{recording_id}/access", who, json=body)


async def test_hosts_list_everything_newest_first_with_provider_gaps_filled(
    platform: Platform, recorded: dict[str, Any]
) -> None:
    class_id = recorded["class"]["id"]
    response = await platform.call(
        "GET", f"/api/live-classes/{class_id}/recordings", platform.mentor
    )
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (3, 50, 0)
    captions, audio, video = body["data"]
    assert (captions["file_type"], audio["file_type"], video["file_type"]) == (
        "transcript",
        "audio",
        "video",
    )
    assert set(video) == {
        "recording_id",
        "file_name",
        "file_type",
        "recording_type",
        "file_size_mb",
        "recording_start",
        "recording_end",
        "can_access",
        "can_download",
        "created_at",
    }
    assert (video["file_name"], video["file_size_mb"], video["can_download"]) == (
        "Lesson video",
        50.0,
        True,
    )
    assert audio["file_size_mb"] == 1.0 and audio["file_name"].startswith("m4a-")
    assert captions["file_size_mb"] is None and captions["recording_type"] is None
    assert captions["recording_end"] is None
    paged = await platform.call(
        "GET", f"/api/live-classes/{class_id}/recordings?limit=1&offset=1", platform.mentor
    )
    assert _listed(paged) == ["audio"] and paged.json()["count"] == 3

    detail = (await platform.call("GET", f"/api/live-classes/{class_id}", platform.admin)).json()
    assert [r["file_type"] for r in detail["data"]["recordings"]] == [
        "transcript",
        "audio",
        "video",
    ]
    assert detail["data"]["is_recorded"] is True
    listing = (await platform.call("GET", "/api/live-classes", platform.students[0])).json()
    flags = {item["id"]: item["is_recorded"] for item in listing["data"]}
    assert flags[class_id] is True
    assert (await platform.schedule())["is_recorded"] is False


async def test_access_matrix(
    platform: Platform, recorded: dict[str, Any], clock: FakeClock
) -> None:
    class_id, ids = recorded["class"]["id"], recorded["ids"]
    await platform.sync_course("course-2", mentors=["mentor-2"], students=["student-9"])
    student, other_student = platform.students
    outsider = platform.person("student-9", "Other Course", Role.STUDENT)
    other_mentor = platform.person("mentor-2", "Other Mentor", Role.MENTOR)
    foreign = platform.person("admin", "Foreign", Role.ADMIN, org=f"{platform.org}-x")
    path = f"/api/live-classes/{class_id}/recordings"

    async def sees(who: Person) -> list[str]:
        return _listed(await platform.call("GET", path, who))

    # No grants: hosts, co-hosts and admins only.
    assert await sees(platform.mentor) == ["transcript", "audio", "video"]
    assert await sees(platform.admin) == ["transcript", "audio", "video"]
    assert await sees(student) == [] and await sees(outsider) == []
    assert (await platform.call("GET", path, foreign)).status_code == 404

    assert (
        await _grant(platform, ids["video"], platform.mentor, scope="enrolled", level="view")
    ).status_code == 201
    assert (
        await _grant(
            platform,
            ids["audio"],
            platform.admin,
            scope="user",
            user_id="student-2",
            level="download",
            expires_at=(clock.now + timedelta(hours=1)).isoformat(),
        )
    ).status_code == 201
    assert (
        await _grant(platform, ids["transcript"], platform.mentor, scope="public", level="download")
    ).status_code == 201

    items = (await platform.call("GET", path, student)).json()["data"]
    assert [(i["file_type"], i["can_access"], i["can_download"]) for i in items] == [
        ("transcript", True, True),
        ("video", True, False),
    ]
    assert await sees(other_student) == ["transcript", "audio", "video"]
    assert await sees(outsider) == ["transcript"]  # public reaches other courses
    assert await sees(other_mentor) == ["transcript"]
    student_detail = await platform.call("GET", f"/api/live-classes/{class_id}", student)
    assert [r["file_type"] for r in student_detail.json()["data"]["recordings"]] == [
        "transcript",
        "video",
    ]

    clock.advance(hours=2)  # the user grant expires
    assert await sees(other_student) == ["transcript", "video"]
    grants = (
        await platform.call("GET", f"/api/recordings/{ids['audio']}/access", platform.mentor)
    ).json()["data"]
    assert [(g["scope"], g["user_id"], g["active"]) for g in grants] == [
        ("user", "student-2", False)
    ]
    download = await platform.call("GET", f"/api/recordings/{ids['audio']}/download", other_student)
    assert download.status_code == 403


async def test_removed_students_lose_enrolled_access(
    platform: Platform, recorded: dict[str, Any]
) -> None:
    ids = recorded["ids"]
    await _grant(platform, ids["video"], platform.mentor, scope="enrolled", level="view")
    await _grant(platform, ids["audio"], platform.mentor, scope="public", level="view")
    ctx = _ctx(platform)
    async with ctx.db.write() as conn:
        await conn.execute(
            class_participants.insert().values(
                class_id=recorded["class"]["id"],
                user_id="student-1",
                org_id=platform.org,
                role="participant",
                first_joined_at=ctx.clock(),
                last_seen_at=ctx.clock(),
                removed_at=ctx.clock(),
            )
        )
    path = f"/api/live-classes/{recorded['class']['id']}/recordings"
    assert _listed(await platform.call("GET", path, platform.students[0])) == ["audio"]
    assert _listed(await platform.call("GET", path, platform.students[1])) == ["audio", "video"]


async def test_grants_are_managed_by_hosts_and_edit_holders(
    platform: Platform, recorded: dict[str, Any]
) -> None:
    video = recorded["ids"]["video"]
    access = f"/api/recordings/{video}/access"
    student, other_student = platform.students
    assert (await _grant(platform, video, student, scope="public", level="view")).status_code == 403
    assert (await platform.call("GET", access, student)).status_code == 403

    created = await _grant(
        platform, video, platform.mentor, scope="user", user_id="student-1", level="edit"
    )
    assert created.status_code == 201
    grant = created.json()["data"]
    assert (grant["scope"], grant["user_id"], grant["level"], grant["active"]) == (
        "user",
        "student-1",
        "edit",
        True,
    )
    assert (grant["recording_id"], grant["created_by"], grant["expires_at"]) == (
        video,
        "mentor-1",
        None,
    )
    # An edit grant lets its holder manage access, but not delete the recording.
    by_student = await _grant(platform, video, student, scope="enrolled", level="download")
    assert by_student.status_code == 201
    listed = (await platform.call("GET", access, student)).json()["data"]
    assert [g["grant_id"] for g in listed] == [
        grant["grant_id"],
        by_student.json()["data"]["grant_id"],
    ]
    assert (await platform.call("DELETE", f"/api/recordings/{video}", student)).status_code == 403
    other_download = await platform.call("GET", f"/api/recordings/{video}/download", other_student)
    assert other_download.status_code == 302

    gone = await platform.call(
        "DELETE", f"{access}/{by_student.json()['data']['grant_id']}", student
    )
    assert gone.status_code == 200 and gone.json()["data"] == {"deleted": True}
    assert (
        await platform.call("GET", f"/api/recordings/{video}/download", other_student)
    ).status_code == 403
    again = await platform.call(
        "DELETE", f"{access}/{by_student.json()['data']['grant_id']}", student
    )
    assert again.status_code == 404
    # A grant id of another recording is not found under this one.
    audio_grant = await _grant(
        platform, recorded["ids"]["audio"], platform.mentor, scope="public", level="view"
    )
    crossed = await platform.call(
        "DELETE", f"{access}/{audio_grant.json()['data']['grant_id']}", platform.mentor
    )
    assert crossed.status_code == 404
    revoked = await platform.call("DELETE", f"{access}/{grant['grant_id']}", platform.mentor)
    assert revoked.status_code == 200
    assert (await platform.call("GET", access, student)).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "user", "level": "view"}, "user_id"),
        ({"scope": "enrolled", "user_id": "student-1", "level": "view"}, "user_id"),
        ({"scope": "public", "level": "view", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"scope": "public", "level": "view", "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
        ({"scope": "everyone", "level": "view"}, "scope"),
        ({"scope": "public", "level": "admin"}, "level"),
        ({"scope": "public"}, "level"),
        ({"scope": "public", "level": "view", "extra": 1}, "extra"),
        ({"scope": "user", "user_id": 7, "level": "view"}, "user_id"),
    ],
)
async def test_grant_validation_names_the_field(
    platform: Platform, recorded: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = await _grant(platform, recorded["ids"]["video"], platform.mentor, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request" and field in error["details"]


async def test_unknown_and_foreign_recordings_are_not_found(
    platform: Platform, recorded: dict[str, Any]
) -> None:
    video = recorded["ids"]["video"]
    foreign = platform.person("mentor-1", "Same id, other org", Role.ADMIN, org=f"{platform.org}-x")
    for method, suffix in [
        ("GET", "/play"),
        ("GET", "/download"),
        ("GET", "/access"),
        ("DELETE", ""),
    ]:
        assert (
            await platform.call(method, f"/api/recordings/{video}{suffix}", foreign)
        ).status_code == 404
        assert (
            await platform.call(method, f"/api/recordings/nope{suffix}", platform.mentor)
        ).status_code == 404
    assert (await _grant(platform, video, foreign, scope="public", level="view")).status_code == 404
    assert (await platform.call("GET", f"/api/recordings/{video}/play", None)).status_code == 401


async def test_play_and_download_redirect_through_the_backend(
    platform: Platform, recorded: dict[str, Any], zoom_backend: FakeBackend, clock: FakeClock
) -> None:
    ids = recorded["ids"]
    student = platform.students[0]
    await _grant(platform, ids["video"], platform.mentor, scope="enrolled", level="view")

    download = await platform.call(
        "GET", f"/api/recordings/{ids['video']}/download", platform.mentor, follow_redirects=False
    )
    assert download.status_code == 302
    assert download.headers["location"] == (
        f"https://zoom.example/rec/download/{recorded['uuid']}/mp4?access_token={DOWNLOAD_TOKEN}"
    )
    assert download.headers["cache-control"] == "no-store"
    play = await platform.call(
        "GET", f"/api/recordings/{ids['video']}/play", student, follow_redirects=False
    )
    assert (play.status_code, play.headers["location"]) == (
        302,
        f"https://player.example/{recorded['uuid']}-mp4",
    )
    assert (
        await platform.call("GET", f"/api/recordings/{ids['video']}/download", student)
    ).status_code == 403
    assert (
        await platform.call("GET", f"/api/recordings/{ids['audio']}/play", student)
    ).status_code == 403

    clock.advance(hours=25)  # the webhook's token is stale: the backend must fetch one
    stale = await platform.call(
        "GET", f"/api/recordings/{ids['video']}/download", platform.mentor, follow_redirects=False
    )
    assert stale.headers["location"].endswith("?access_token=fetched-fresh")
    assert zoom_backend.seen[-1].download_token is None
    assert zoom_backend.seen[0].provider_file_type == "MP4"


async def test_without_a_backend_the_stored_urls_are_used(platform: Platform) -> None:
    created = await platform.schedule()
    start = _ctx(platform).clock()
    await seed_recordings(platform, created["id"], zoom_files("m-1", start, provider="manual"))
    items = (
        await platform.call("GET", f"/api/live-classes/{created['id']}/recordings", platform.mentor)
    ).json()["data"]
    ids = {item["file_type"]: item["recording_id"] for item in items}

    async def location(recording_id: str, action: str) -> str:
        response = await platform.call(
            "GET",
            f"/api/recordings/{recording_id}/{action}",
            platform.mentor,
            follow_redirects=False,
        )
        assert response.status_code == 302
        return response.headers["location"]

    assert await location(ids["video"], "play") == "https://manual.example/rec/play/m-1/mp4"
    assert await location(ids["video"], "download") == "https://manual.example/rec/download/m-1/mp4"
    # Captions have no play URL: playing them is fetching the file.
    assert await location(ids["transcript"], "play") == "https://manual.example/rec/download/m-1/cc"
    deleted = await platform.call("DELETE", f"/api/recordings/{ids['video']}", platform.mentor)
    assert deleted.status_code == 200


async def test_delete_at_the_provider_first_then_tombstone(
    platform: Platform, recorded: dict[str, Any], zoom_backend: FakeBackend
) -> None:
    video, class_id = recorded["ids"]["video"], recorded["class"]["id"]
    path = f"/api/live-classes/{class_id}/recordings"
    await _grant(platform, video, platform.mentor, scope="enrolled", level="edit")
    assert (
        await platform.call("DELETE", f"/api/recordings/{video}", platform.students[0])
    ).status_code == 403

    zoom_backend.fail = True
    failed = await platform.call("DELETE", f"/api/recordings/{video}", platform.mentor)
    assert (failed.status_code, failed.json()["error"]["code"]) == (502, "provider_error")
    assert zoom_backend.deleted == []
    assert _listed(await platform.call("GET", path, platform.mentor)) == [
        "transcript",
        "audio",
        "video",
    ]

    zoom_backend.fail = False
    deleted = await platform.call("DELETE", f"/api/recordings/{video}", platform.admin)
    assert deleted.status_code == 200 and zoom_backend.deleted == [video]
    assert _listed(await platform.call("GET", path, platform.mentor)) == ["transcript", "audio"]
    assert _listed(await platform.call("GET", path, platform.students[0])) == []
    for method, suffix in [("GET", "/play"), ("GET", "/download"), ("DELETE", "")]:
        assert (
            await platform.call(method, f"/api/recordings/{video}{suffix}", platform.mentor)
        ).status_code == 404
    async with _ctx(platform).db.read() as conn:
        tombstone = await conn.scalar(
            select(recordings.c.deleted_at).where(recordings.c.id == video)
        )
    assert tombstone is not None


async def test_webhook_storage_is_idempotent_and_tombstones_stick(
    platform: Platform, recorded: dict[str, Any]
) -> None:
    class_id, uuid, start = recorded["class"]["id"], recorded["uuid"], recorded["start"]
    path = f"/api/live-classes/{class_id}/recordings"
    assert await seed_recordings(platform, class_id, zoom_files(uuid, start)) == 0
    assert _listed(await platform.call("GET", path, platform.mentor)) == [
        "transcript",
        "audio",
        "video",
    ]

    ctx = _ctx(platform)
    async with ctx.db.write() as conn:
        one = await tombstone_recordings(
            conn, class_id, meeting_uuid=uuid, provider_file_ids=[f"{uuid}-m4a"], now=ctx.clock()
        )
    assert one == 1
    assert _listed(await platform.call("GET", path, platform.mentor)) == ["transcript", "video"]
    async with ctx.db.write() as conn:
        rest = await tombstone_recordings(
            conn, class_id, meeting_uuid=uuid, provider_file_ids=None, now=ctx.clock()
        )
        again = await tombstone_recordings(
            conn, class_id, meeting_uuid=uuid, provider_file_ids=None, now=ctx.clock()
        )
    assert (rest, again) == (2, 0)
    # A late redelivery of the "completed" event does not resurrect anything.
    assert await seed_recordings(platform, class_id, zoom_files(uuid, start)) == 0
    assert _listed(await platform.call("GET", path, platform.mentor)) == []
    detail = (await platform.call("GET", f"/api/live-classes/{class_id}", platform.mentor)).json()
    assert detail["data"]["is_recorded"] is False


async def test_download_tokens_are_sealed_and_never_answered(
    platform: Platform, recorded: dict[str, Any]
) -> None:
    ids, class_id = recorded["ids"], recorded["class"]["id"]
    async with _ctx(platform).db.read() as conn:
        sealed = (
            await conn.scalars(
                select(recordings.c.download_token_sealed).where(recordings.c.class_id == class_id)
            )
        ).all()
    assert len(sealed) == 3 and all(s and DOWNLOAD_TOKEN not in s for s in sealed)
    assert {_ctx(platform).secret_box.open(s) for s in sealed if s} == {DOWNLOAD_TOKEN}

    await _grant(platform, ids["video"], platform.mentor, scope="public", level="download")
    bodies = [
        await platform.call("GET", f"/api/live-classes/{class_id}/recordings", platform.mentor),
        await platform.call("GET", f"/api/live-classes/{class_id}", platform.mentor),
        await platform.call("GET", "/api/live-classes", platform.mentor),
        await platform.call("GET", f"/api/recordings/{ids['video']}/access", platform.mentor),
        await platform.call("GET", f"/api/recordings/{ids['video']}/play", platform.students[0]),
        await platform.call("GET", "/openapi.json", None),
    ]
    for response in bodies:
        assert response.status_code in (200, 302)
        assert DOWNLOAD_TOKEN not in response.text
        assert "download_token" not in response.text
