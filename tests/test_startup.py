"""Starting ``liveclass serve`` as an operator would: real processes, their exit codes and output.

- a second ``serve`` that cannot bind leaves the running one's data alone;
- a PostgreSQL schema behind the code refuses to serve (exit 2, the command to run),
  and a server that meets one anyway is not ready, naming both revisions;
- a database down at start: the webhook worker says so once, without tracebacks;
- logs: a 500 is logged once, JSON lines carry no ANSI colour, migrate is quiet.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import socketio

from server.auth import Role
from server.migrate import downgrade, head_revision, upgrade_async
from tests.support.backends import Backend, scratch_postgres_database
from tests.support.processes import bearer, free_port, liveclass, serve_process, server_env
from tests.support.servers import serve_app
from tests.support.waiting import wait_until, wait_until_sync


def sqlite_env(folder: Path, **extra: str) -> dict[str, str]:
    return server_env(f"sqlite+aiosqlite:///{folder / 'serve.db'}", **extra)


async def live_class(http: httpx.AsyncClient) -> str:
    admin, mentor = bearer("admin", Role.ADMIN), bearer("m1", Role.MENTOR)
    course = await http.put(
        "/api/courses/c1", json={"title": "C", "mentors": ["m1"]}, headers=admin
    )
    assert course.status_code == 200, course.text
    await http.put("/api/courses/c1/enrollments", json={"students": ["s1"]}, headers=admin)
    start = datetime.now(UTC) + timedelta(minutes=5)
    created = await http.post(
        "/api/live-classes",
        json={
            "course_id": "c1",
            "title": "Live",
            "scheduled_start": start.isoformat(),
            "scheduled_end": (start + timedelta(hours=1)).isoformat(),
        },
        headers=mentor,
    )
    assert created.status_code == 201, created.text
    class_id: str = created.json()["data"]["id"]
    started = await http.post(f"/api/live-classes/{class_id}/start", headers=mentor)
    assert started.status_code == 200, started.text
    return class_id


@pytest.mark.slow
async def test_a_second_serve_on_a_busy_port_leaves_the_running_ones_class_alone(
    tmp_path: Path,
) -> None:
    env = sqlite_env(tmp_path)
    with serve_process(tmp_path, env, name="first") as first:
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            class_id = await live_class(http)
            student = socketio.AsyncClient(reconnection=False)
            token = bearer("s1", Role.STUDENT, name="Sam")["Authorization"].split()[1]
            await student.connect(first.url, auth={"token": token}, transports=["websocket"])
            try:
                joined = await student.call("class:join", {"class_id": class_id}, timeout=30)
                assert joined["ok"] is True, joined

                async def online() -> list[str]:
                    got = await http.get(
                        f"/api/live-classes/{class_id}/participants",
                        headers=bearer("m1", Role.MENTOR),
                    )
                    return [p["user"]["id"] for p in got.json()["data"] if p["online"]]

                assert await online() == ["s1"]
                port = int(first.url.rsplit(":", 1)[1])
                second = await asyncio.to_thread(
                    liveclass, tmp_path, "serve", "--port", str(port), env=env
                )
                assert second.returncode == 1, second.stderr
                assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
                assert "Traceback" not in second.stderr
                # Sam is still in class: the loser touched nothing.
                assert await online() == ["s1"]
                assert (await http.get("/readyz")).status_code == 200
            finally:
                await student.disconnect()


def test_serve_refuses_a_postgresql_schema_behind_the_code(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with scratch_postgres_database("lc_behind") as url:
            env = server_env(url)
            empty = await asyncio.to_thread(liveclass, tmp_path, "serve", "--port", "1", env=env)
            assert empty.returncode == 2, empty.stderr
            assert "revision none" in empty.stderr
            assert "run `liveclass migrate`" in empty.stderr
            assert "Traceback" not in empty.stderr

            await upgrade_async(url)
            await asyncio.to_thread(downgrade, url, "-1")
            behind = await asyncio.to_thread(liveclass, tmp_path, "serve", "--port", "1", env=env)
            assert behind.returncode == 2, behind.stderr
            assert f"needs {head_revision()}" in behind.stderr
            assert "Traceback" not in behind.stderr

    asyncio.run(scenario())


def test_serve_names_a_postgresql_database_that_does_not_exist(tmp_path: Path) -> None:
    env = server_env("postgresql+asyncpg://postgres@127.0.0.1/lc_no_such_database")
    done = liveclass(tmp_path, "serve", "--port", "1", env=env)
    if "refused" in done.stderr:
        pytest.skip("PostgreSQL is not running here")
    assert done.returncode == 2, done.stderr
    assert "LIVECLASS_DATABASE_URL" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


async def test_a_server_on_an_unmigrated_database_is_not_ready(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        sqlite3.connect(tmp_path / "empty.db").close()
        settings = backend.settings(database_url=url)
        async with serve_app(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
            ready = await http.get("/readyz")
    else:
        async with scratch_postgres_database("lc_unmigrated") as url:
            settings = backend.settings(database_url=url)
            async with serve_app(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
                ready = await http.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["schema"] == (
        f"unavailable: the database is at revision none (no tables), this version needs "
        f"{head_revision()}: run `liveclass migrate`"
    )


@pytest.mark.slow
def test_a_database_down_at_start_is_reported_once_not_every_poll(tmp_path: Path) -> None:
    env = server_env(
        f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none",
        LIVECLASS_WEBHOOK_POLL_SECONDS="0.05",
    )
    with serve_process(tmp_path, env) as running:
        ready = httpx.get(f"{running.url}/readyz", timeout=10)
        assert ready.status_code == 503
        wait_until_sync(
            lambda: "webhook worker: pass failed" in running.output(),
            within=20,
            what="the worker's first failed pass logged",
        )
        # Silence is what is tested: a quiet second, twenty more polls, must log nothing.
        time.sleep(1)
        output = running.output()
    for worker in ("webhook worker", "outbound delivery worker", "reminder worker"):
        assert output.count(f"{worker}: ") == 1, (worker, output)
    assert "Traceback" not in output
    assert "unreachable at start" in output


@pytest.mark.slow
async def test_a_500_is_logged_once_in_json_without_colour(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path, LIVECLASS_LOG_JSON="true")
    with serve_process(tmp_path, env) as running:
        # A table gone behind the server's back: every read of it is a bug-class 500.
        with closing(sqlite3.connect(tmp_path / "serve.db")) as db:
            db.execute("DROP TABLE notifications")
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
            failed = await http.get("/api/notifications", headers=bearer("s1", Role.STUDENT))
        assert failed.status_code == 500
        assert failed.json() == {
            "success": False,
            "error": {"code": "internal", "message": "internal error"},
        }
        rid = failed.headers["x-request-id"]
        await wait_until(lambda: rid in running.output(), within=10, what="the 500 logged")
        output = running.output()
    entries = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    errors = [e for e in entries if e["level"] == "ERROR"]
    assert len(errors) == 1, errors
    assert errors[0]["request_id"] == rid and "no such table" in errors[0]["exception"]
    assert any(e["message"].startswith("Started server process") for e in entries)
    assert all("color_message" not in e for e in entries)
    assert "\x1b[" not in output and "\\u001b[" not in output


def test_migrate_says_what_it_applied_and_nothing_else(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    first = liveclass(tmp_path, "migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert f"-> {head_revision()}" in first.stderr
    assert "Context impl" not in first.stderr and "Will assume" not in first.stderr
    again = liveclass(tmp_path, "migrate", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
