"""kill -9 of a server with deliveries pending (one in flight) loses none.

Real processes: ``liveclass serve`` A queues events and is killed while the
receiver holds A's first attempt open; B, on the same database, takes the
leased attempt again (same ``webhook-id``) and delivers the rest in order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from server.auth import Role
from tests.support.backends import Backend
from tests.support.processes import bearer, fresh_database, migrated_server_env, serve_process
from tests.support.webhook_receiver import Receiver

T0 = datetime.now(UTC) + timedelta(days=2)


@pytest.mark.slow
async def test_deliveries_survive_a_kill_9(
    backend: Backend, tmp_path: Path, receiver: Receiver
) -> None:
    async with fresh_database(backend, tmp_path) as database_url:
        env = await migrated_server_env(
            database_url,
            tmp_path,
            LIVECLASS_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
            LIVECLASS_OUTBOUND_WEBHOOK_POLL_SECONDS="0.05",
            LIVECLASS_OUTBOUND_WEBHOOK_TIMEOUT_SECONDS="3",
        )
        admin = bearer("admin", Role.ADMIN)
        mentor = bearer("m1", Role.MENTOR)

        with serve_process(tmp_path, env, name="a") as a:
            async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
                await http.put(
                    "/api/courses/c1", json={"title": "C", "mentors": ["m1"]}, headers=admin
                )
                created = await http.post(
                    "/api/admin/webhook-endpoints", json={"url": receiver.url}, headers=admin
                )
                assert created.status_code == 201, created.text
                receiver.secret = created.json()["data"]["secret"]
                # A holds its first attempt open; everything else queues behind it.
                receiver.answer_after = 2.5
                klass = await http.post(
                    "/api/live-classes",
                    json={
                        "course_id": "c1",
                        "title": "Before the crash",
                        "scheduled_start": T0.isoformat(),
                        "scheduled_end": (T0 + timedelta(hours=1)).isoformat(),
                    },
                    headers=mentor,
                )
                assert klass.status_code == 201, klass.text
                class_id = klass.json()["data"]["id"]
                await http.patch(
                    f"/api/live-classes/{class_id}", json={"title": "Renamed"}, headers=mentor
                )
                await http.delete(f"/api/live-classes/{class_id}", headers=mentor)
                await receiver.wait_for(lambda: len(receiver.received) == 1)
            a.process.kill()
            a.process.wait(timeout=10)
        receiver.answer_after = 0

        with serve_process(tmp_path, env, name="b"):
            await receiver.wait_for(lambda: len(receiver.received) == 4, within=40)
        assert receiver.forged == []
        assert receiver.types() == [
            "class.scheduled",
            "class.scheduled",
            "class.updated",
            "class.cancelled",
        ]
        ids = [d.webhook_id for d in receiver.received]
        assert ids[0] == ids[1] and len(set(ids)) == 3
        assert receiver.received[2].data["class"]["title"] == "Renamed"
