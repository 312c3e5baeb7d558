"""``liveclass`` as real child processes: the CLI, and ``serve`` on a free port."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.auth import Role, issue_token
from server.settings import Settings
from tests.fakes.serving import free_port

from .backends import TEST_SECRET, Backend, scratch_postgres_database
from .waiting import wait_until_sync

__all__ = [
    "ServeProcess",
    "bearer",
    "cli_env",
    "free_port",
    "fresh_database",
    "liveclass",
    "migrated_server_env",
    "serve_process",
    "server_env",
    "start_cli",
]

REPO = Path(__file__).resolve().parents[2]


def cli_env(**values: str) -> dict[str, str]:
    """This checkout first on ``PYTHONPATH``, none of the developer's ``LIVECLASS_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVECLASS_")}
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO), os.environ.get("PYTHONPATH", "")) if part
    )
    env.update(values)
    return env


def server_env(database_url: str, **values: str) -> dict[str, str]:
    """:func:`cli_env` for a server on ``database_url`` signing with ``TEST_SECRET``."""
    return cli_env(
        LIVECLASS_DATABASE_URL=database_url,
        LIVECLASS_JWT_SECRET=TEST_SECRET,
        LIVECLASS_SECRET_KEY=TEST_SECRET,
        **values,
    )


@asynccontextmanager
async def fresh_database(backend: Backend, folder: Path) -> AsyncIterator[str]:
    """The URL of an empty database of ``backend`` that separate processes can share."""
    if backend.name == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'crash.db'}"
    else:
        async with scratch_postgres_database("lc_crash") as url:
            yield url


async def migrated_server_env(database_url: str, folder: Path, **values: str) -> dict[str, str]:
    """:func:`server_env`, after ``liveclass migrate`` has brought the database up to date."""
    env = server_env(database_url, **values)
    migrated = await asyncio.to_thread(liveclass, folder, "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def liveclass(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=cwd,
        env=env if env is not None else cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def bearer(sub: str, role: Role, *, org: str = "acme", **claims: Any) -> dict[str, str]:
    """Authorization headers for a process configured with ``LIVECLASS_JWT_SECRET=TEST_SECRET``."""
    settings = Settings(jwt_secret=TEST_SECRET, _env_file=None)
    signed = issue_token(settings, sub=sub, org=org, role=role, **claims)
    return {"Authorization": f"Bearer {signed}"}


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")


def start_cli(
    cwd: Path, env: dict[str, str], command: str, *, name: str, port: int
) -> ServeProcess:
    """``liveclass COMMAND --port PORT`` in the background, its output in ``cwd/NAME.log``."""
    log_path = cwd / f"{name}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", command, "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ServeProcess(process, f"http://127.0.0.1:{port}", log_path)


@contextmanager
def serve_process(
    cwd: Path, env: dict[str, str], *, name: str = "serve", port: int | None = None
) -> Iterator[ServeProcess]:
    """``liveclass serve`` until ``/healthz`` answers (30 s at most); killed on exit if alive."""
    running = start_cli(cwd, env, "serve", name=name, port=port or free_port())
    process = running.process

    def healthy() -> bool:
        assert process.poll() is None, running.output()
        try:
            return httpx.get(f"{running.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until_sync(healthy, within=30, what=f"/healthz of {name}")
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=20)
