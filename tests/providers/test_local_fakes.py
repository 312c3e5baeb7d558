"""``python -m tests.fakes`` serves the fakes, and ``liveclass serve`` runs against them.

The local-development path docs/providers.md documents: real child processes,
the printed ``export`` lines as the server's whole provider configuration.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from server.auth import Role
from tests.support.backends import TEST_SECRET
from tests.support.processes import REPO, bearer, cli_env, serve_process
from tests.support.waiting import wait_until_sync

START = datetime.now(UTC) + timedelta(days=3)


@contextmanager
def local_fakes(folder: Path) -> Iterator[dict[str, str]]:
    """The fakes as ``python -m tests.fakes`` on free ports; yields the variables it printed."""
    log_path = folder / "fakes.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes", "--zoom-port", "0", "--google-port", "0"],
            cwd=REPO,
            env=cli_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def printed() -> str:
            assert process.poll() is None, log_path.read_text(encoding="utf-8")
            return log_path.read_text(encoding="utf-8")

        wait_until_sync(lambda: "Ctrl+C stops the fakes" in printed(), within=30, what="fakes")
        yield dict(re.findall(r"^export (LIVECLASS_\w+)=(\S+)$", printed(), re.M))
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.slow
def test_liveclass_schedules_zoom_and_google_classes_on_the_local_fakes(tmp_path: Path) -> None:
    with local_fakes(tmp_path) as fakes:
        assert {"LIVECLASS_ZOOM_API_BASE", "LIVECLASS_GOOGLE_REFRESH_TOKEN"} <= set(fakes)
        token = httpx.post(
            f"{fakes['LIVECLASS_ZOOM_OAUTH_BASE']}/oauth/token",
            data={
                "grant_type": "account_credentials",
                "account_id": fakes["LIVECLASS_ZOOM_ACCOUNT_ID"],
            },
            auth=(fakes["LIVECLASS_ZOOM_CLIENT_ID"], fakes["LIVECLASS_ZOOM_CLIENT_SECRET"]),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        env = cli_env(
            LIVECLASS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'local.db'}",
            LIVECLASS_JWT_SECRET=TEST_SECRET,
            LIVECLASS_SECRET_KEY=TEST_SECRET,
            **fakes,
        )
        with serve_process(tmp_path, env) as running:
            admin = bearer("admin", Role.ADMIN)
            mentor = bearer("m1", Role.MENTOR, email="owner@example.com")
            course = httpx.put(
                f"{running.url}/api/courses/c1",
                json={"title": "C", "mentors": ["m1"]},
                headers=admin,
                timeout=10,
            )
            assert course.status_code == 200, course.text
            links = {}
            for provider in ("zoom", "google_meet"):
                created = httpx.post(
                    f"{running.url}/api/live-classes",
                    json={
                        "course_id": "c1",
                        "title": f"On {provider}",
                        "provider": provider,
                        "scheduled_start": START.isoformat(),
                        "scheduled_end": (START + timedelta(hours=1)).isoformat(),
                    },
                    headers=mentor,
                    timeout=30,
                )
                assert created.status_code == 201, created.text
                links[provider] = created.json()["data"]["join_url"]
    # The links the fakes minted, not a placeholder.
    assert re.fullmatch(r"https://us05web\.zoom\.us/j/\d+\?pwd=\S+", links["zoom"]), links
    assert links["google_meet"].startswith("https://meet.google.com/"), links
