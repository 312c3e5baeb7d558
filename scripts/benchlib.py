"""What the benchmarks share: servers they start themselves on 127.0.0.1, CPU and percentiles.

Nothing here talks to anything but the loopback interface.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import statistics
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from server.migrate import upgrade
from tests.fakes.serving import free_port

__all__ = [
    "LOAD_PRIORITY",
    "bounded",
    "cpu_of",
    "free_port",
    "percentiles",
    "py_spy",
    "scratch_postgres",
    "servers",
]

CLK_TCK = os.sysconf("SC_CLK_TCK")
# A load generator's command prefix: on a machine shared with the server under test, the
# server is scheduled first when both want a core, as with a generator on cores of its own.
LOAD_PRIORITY = ("nice", "-n", "10")
ROOT = Path(__file__).resolve().parents[1]
# The websocket settings of `liveclass serve`, without its logging.
SERVE = (
    "import uvicorn, sys\n"
    "from server.app import create_app\n"
    "from server.cli import websocket_options\n"
    "from server.settings import load_settings\n"
    "uvicorn.run(create_app(load_settings()), host='127.0.0.1', port=int(sys.argv[1]),\n"
    "            log_level='warning', **websocket_options(compression=False))\n"
)


async def bounded(run: Coroutine[Any, Any, None], seconds: float = 290) -> None:
    """Run a benchmark, giving up (servers stopped, databases dropped) after ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await run
    except TimeoutError:
        sys.exit(f"gave up after {seconds:.0f} s: the server could not keep up")


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p99) of the samples, NaN when there are none."""
    ordered = sorted(samples) or [float("nan")]
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def py_spy(pid: int, seconds: float, output: str) -> asyncio.subprocess.Process | None:
    """py-spy sampling ``pid`` for ``seconds`` into ``output`` (raw stacks), if it is installed."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        print("profile: py-spy is not installed (pip install py-spy)", file=sys.stderr)
        return None
    return await asyncio.create_subprocess_exec(
        spy,
        "record",
        "-p",
        str(pid),
        "-d",
        str(max(1, round(seconds))),
        "-r",
        "100",
        "-f",
        "raw",
        "-o",
        output,
        "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL,
    )


@asynccontextmanager
async def servers(env: dict[str, str], count: int) -> AsyncIterator[list[tuple[str, int]]]:
    """``count`` app processes of this checkout; yields ``[(url, pid)]``."""
    started: list[tuple[asyncio.subprocess.Process, int]] = []
    try:
        for _ in range(count):
            port = free_port()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                SERVE,
                str(port),
                env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            )
            started.append((proc, port))
        async with httpx.AsyncClient() as http:
            for _proc, port in started:
                for _ in range(200):
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("a server did not start")
        yield [(f"http://127.0.0.1:{port}", proc.pid) for proc, port in started]
    finally:
        for proc, _port in started:
            proc.terminate()
        for proc, _port in started:
            await asyncio.wait_for(proc.wait(), 20)


@asynccontextmanager
async def scratch_postgres(prefix: str) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database on 127.0.0.1 (its URL), dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1/{name}"
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
