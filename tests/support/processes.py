"""``liveclass`` as real child processes: the CLI, and ``serve`` on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.auth import Role, issue_token
from tests.fakes.serving import free_port
from server.settings import Settings

from .backends import TEST_SECRET

__all__ = ["ServeProcess", "bearer", "cli_env", "free_port", "liveclass", "serve_process"]

REPO = Path(__file__).resolve().parents[2]


def cli_env(**values: str) -> dict[str, str]:
    """This checkout first on ``PYTHONPATH``, none of the developer's ``LIVECLASS_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVECLASS_")}
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO), os.environ.get("PYTHONPATH", "")) if part
    )
    env.update(values)
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


@contextmanager
def serve_process(
    cwd: Path, env: dict[str, str], *, name: str = "serve", port: int | None = None
) -> Iterator[ServeProcess]:
    """``liveclass serve`` until ``/healthz`` answers (30 s at most); killed on exit if alive."""
    port = port or free_port()
    log_path = cwd / f"{name}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = ServeProcess(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, running.output()
            try:
                if httpx.get(f"{running.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "no /healthz within 30 s"
            time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=20)
