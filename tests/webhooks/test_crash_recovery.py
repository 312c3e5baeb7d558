"""Events stored by a process that is killed (-9) are processed once by the next one.

Real processes: ``liveclass serve`` with the real Zoom adapter pointed at the
fake Zoom, Zoom-signed deliveries, ``SIGKILL``, a restart on the same
database.  The first process runs with its worker off, so every event is
still pending when it dies; in the second test it dies in the middle of a
burst of deliveries, and Zoom's retries then redeliver everything.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.auth import Role
from tests.fakes.zoom import FakeZoom, create_fake_zoom
from tests.fakes.zoom_webhooks import ZoomMeetingFacts, ZoomParticipant, ZoomWebhookSender
from tests.support.backends import ZOOM_WEBHOOK_SECRET, Backend
from tests.support.processes import bearer, fresh_database, migrated_server_env, serve_process
from tests.support.servers import serve_asgi
from tests.support.waiting import wait_until

T0 = datetime(2031, 6, 1, 10, tzinfo=UTC)


async def zoom_class(http: httpx.AsyncClient) -> tuple[dict[str, Any], int]:
    """Course c1 (mentor m1, student s1) and a Zoom class in it: the class and its meeting id."""
    admin = bearer("admin", Role.ADMIN)
    course = await http.put(
        "/api/courses/c1", json={"title": "C", "mentors": ["m1"]}, headers=admin
    )
    assert course.status_code == 200, course.text
    enrolled = await http.put(
        "/api/courses/c1/enrollments", json={"students": ["s1"]}, headers=admin
    )
    assert enrolled.status_code == 200, enrolled.text
    created = await http.post(
        "/api/live-classes",
        json={
            "course_id": "c1",
            "title": "Zoom class",
            "provider": "zoom",
            "scheduled_start": T0.isoformat(),
            "scheduled_end": (T0 + timedelta(hours=1)).isoformat(),
        },
        headers=bearer("m1", Role.MENTOR, email="owner@example.com"),
    )
    assert created.status_code == 201, created.text
    klass: dict[str, Any] = created.json()["data"]
    meeting_id = re.search(r"/j/(\d+)", klass["join_url"])
    assert meeting_id is not None, klass
    return klass, int(meeting_id.group(1))


@pytest.mark.slow
async def test_pending_events_survive_a_kill_9(backend: Backend, tmp_path: Path) -> None:
    zoom = create_fake_zoom()
    async with (
        serve_asgi(zoom.app, lifespan="off") as zoom_url,
        fresh_database(backend, tmp_path) as database_url,
    ):
        env = await migrated_server_env(database_url, tmp_path, **zoom_env(zoom, zoom_url))

        with serve_process(tmp_path, {**env, "LIVECLASS_WEBHOOK_WORKER": "false"}, name="a") as a:
            async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
                klass, meeting_id = await zoom_class(http)
                student = bearer("s1", Role.STUDENT, email="s1@example.com")
                await http.post(f"/api/live-classes/{klass['id']}/join", headers=student)
                await http.delete(f"/api/live-classes/{klass['id']}/join", headers=student)

                meeting = ZoomMeetingFacts(meeting_id, "uuid-1==", "host", "Zoom class", T0)
                # The held instance, whose (empty) report the end of the meeting pulls.
                zoom.add_instance(meeting_id, uuid="uuid-1==")
                sam = ZoomParticipant("1", "Sam", email="s1@example.com", participant_uuid="p1")
                sender = ZoomWebhookSender(ZOOM_WEBHOOK_SECRET)
                bodies = [
                    sender.meeting_started(meeting),
                    sender.participant_joined(meeting, sam, T0 + timedelta(minutes=5)),
                    sender.participant_left(meeting, sam, T0 + timedelta(minutes=50)),
                    sender.meeting_ended(meeting, T0 + timedelta(hours=1)),
                ]
                for body in bodies:
                    stored = await sender.send(f"{a.url}/api/zoom/webhook", body)
                    assert stored.status_code == 200, stored.text
            a.process.kill()
            a.process.wait(timeout=10)

        with serve_process(tmp_path, env, name="b") as b:
            async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
                mentor = bearer("m1", Role.MENTOR)

                async def ended() -> bool:
                    got = await http.get(f"/api/live-classes/{klass['id']}", headers=mentor)
                    return bool(got.json()["data"]["status"] == "ended")

                await wait_until(ended, within=20, what="the class ended by the stored events")
                # Redelivery after the restart (Zoom retried while we were down): no new effect.
                again = await sender.send(f"{b.url}/api/zoom/webhook", bodies[1])
                assert again.json()["data"]["duplicate"] is True
                rows: list[dict[str, Any]] = []

                async def all_done() -> bool:
                    events = await http.get(
                        "/api/admin/webhook-events?limit=100", headers=bearer("admin", Role.ADMIN)
                    )
                    rows[:] = events.json()["data"]
                    return all(e["status"] == "done" for e in rows)

                await wait_until(all_done, within=20, what="every stored event processed")
                # The four deliveries, and the participants-report job the end queued.
                assert sorted(e["event_type"] for e in rows) == sorted(
                    [b["event"] for b in bodies] + ["zoom.participants_pull"]
                )
                assert all(e["attempts"] == 1 for e in rows)
                report = await http.get(
                    f"/api/live-classes/{klass['id']}/attendance", headers=mentor
                )
                sam_row = next(r for r in report.json()["data"] if r["user_id"] == "s1")
                assert (sam_row["attended_seconds"], sam_row["join_count"]) == (45 * 60, 1)


def zoom_env(zoom: FakeZoom, zoom_url: str) -> dict[str, str]:
    return dict(
        LIVECLASS_ZOOM_WEBHOOK_SECRET=ZOOM_WEBHOOK_SECRET,
        LIVECLASS_ZOOM_ACCOUNT_ID=zoom.account_id,
        LIVECLASS_ZOOM_CLIENT_ID=zoom.client_id,
        LIVECLASS_ZOOM_CLIENT_SECRET=zoom.client_secret,
        LIVECLASS_ZOOM_API_BASE=f"{zoom_url}/v2",
        LIVECLASS_ZOOM_OAUTH_BASE=zoom_url,
        LIVECLASS_WEBHOOK_POLL_SECONDS="0.1",
    )


GUESTS = 40
KILL_AFTER = 30  # acknowledged deliveries before the kill, of 2 * GUESTS


@pytest.mark.slow
async def test_a_kill_9_in_the_middle_of_intake_loses_and_doubles_nothing(
    backend: Backend, tmp_path: Path
) -> None:
    zoom = create_fake_zoom()
    async with (
        serve_asgi(zoom.app, lifespan="off") as zoom_url,
        fresh_database(backend, tmp_path) as database_url,
    ):
        env = await migrated_server_env(database_url, tmp_path, **zoom_env(zoom, zoom_url))
        sender = ZoomWebhookSender(ZOOM_WEBHOOK_SECRET)
        guests = [
            ZoomParticipant(str(i), f"Guest {i:02d}", participant_uuid=f"guest-{i}")
            for i in range(GUESTS)
        ]
        acknowledged: list[dict[str, Any]] = []

        with serve_process(tmp_path, {**env, "LIVECLASS_WEBHOOK_WORKER": "false"}, name="a") as a:
            async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
                klass, meeting_id = await zoom_class(http)
            meeting = ZoomMeetingFacts(meeting_id, "uuid-9==", "host", "Zoom class", T0)
            zoom.add_instance(meeting_id, uuid="uuid-9==")  # its (empty) report, pulled at the end
            started = sender.meeting_started(meeting)
            assert (await sender.send(f"{a.url}/api/zoom/webhook", started)).status_code == 200
            bodies = {
                guest.user_id: (
                    sender.participant_joined(meeting, guest, T0 + timedelta(minutes=5)),
                    sender.participant_left(meeting, guest, T0 + timedelta(minutes=50)),
                )
                for guest in guests
            }
            enough = asyncio.Event()

            async def deliver(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
                for body in pair:  # Zoom sends a participant's leave after the join
                    try:
                        answer = await sender.send(f"{a.url}/api/zoom/webhook", body)
                    except httpx.TransportError:
                        return  # the process is gone: not acknowledged
                    if answer.status_code != 200:
                        return
                    acknowledged.append(body)
                    if len(acknowledged) >= KILL_AFTER:
                        enough.set()

            burst = [asyncio.create_task(deliver(pair)) for pair in bodies.values()]
            async with asyncio.timeout(60):
                await enough.wait()
            a.process.kill()
            a.process.wait(timeout=10)
            await asyncio.gather(*burst)
        assert KILL_AFTER <= len(acknowledged) < 2 * GUESTS  # killed mid-burst

        with serve_process(tmp_path, env, name="b") as b:
            # Zoom retries what it saw fail, and may redeliver what we acknowledged.
            for pair in bodies.values():
                for body in pair:
                    answer = await sender.send(f"{b.url}/api/zoom/webhook", body)
                    assert answer.status_code == 200, answer.text
            ended = sender.meeting_ended(meeting, T0 + timedelta(hours=1))
            assert (await sender.send(f"{b.url}/api/zoom/webhook", ended)).status_code == 200
            async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
                admin = bearer("admin", Role.ADMIN)

                async def all_done() -> bool:
                    got = await http.get("/api/admin/webhook-events?limit=100", headers=admin)
                    rows = got.json()["data"]
                    # started, ended and the report pull it queued, and each guest's pair
                    return len(rows) == 3 + 2 * GUESTS and all(r["status"] == "done" for r in rows)

                await wait_until(all_done, within=60, what="every delivery stored and processed")
                report = await http.get(
                    f"/api/live-classes/{klass['id']}/attendance", headers=bearer("m1", Role.MENTOR)
                )
        rows_by_name = {r["name"]: r for r in report.json()["data"] if r["user_id"] is None}
        assert sorted(rows_by_name) == sorted(g.user_name for g in guests)
        for guest in guests:
            row = rows_by_name[guest.user_name]
            assert (row["attended_seconds"], row["join_count"]) == (45 * 60, 1), row
