"""Where a connected, joined, idle client's server memory goes (tracemalloc, by package).

Serves liveclass in this process (one process, fresh SQLite file, or
PostgreSQL with ``--postgres``) with tracemalloc on, connects ``--clients``
official socket.io-client sockets (the fan-out load generator) that each join
one class (or only connect, ``--connect-only``), and once they are idle
compares a snapshot with the one taken before they connected.  Prints KB per
client by package and by allocation site, and the RSS growth per client.

``--rss-only`` leaves tracemalloc off (its own bookkeeping, a trace per live
block, inflates RSS) and instead explains the RSS growth: RSS after
``gc.collect()`` and after glibc's ``malloc_trim(0)``, what pymalloc's arenas
hold in live blocks versus free space (``sys._debugmallocstats()``), glibc's
heap in use versus free (``mallinfo2``), and the process's threads.
Usage::

    PYTHONPATH=. python -m scripts.bench.fanout_memory [--clients 500] [--rss-only]
        [--connect-only] [--postgres] [--loop asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import json
import os
import sys
import tempfile
import threading
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import uvloop

from scripts.bench.fanout import LIVECLASS_ENV, NODE_DIR, SECRET, npm_install, rss_kb
from scripts.bench.realtime import prepare, token
from scripts.benchlib import scratch_postgres
from server.app import create_app
from server.auth import Role
from server.migrate import upgrade
from server.settings import Settings
from tests.fakes.serving import serve_asgi

PACKAGES = ("uvicorn", "websockets", "engineio", "socketio", "server", "asyncio", "sqlalchemy")
LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
            "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def package_of(filename: str) -> str:
    parts = Path(filename).parts
    for name in PACKAGES:
        if name in parts:
            return name
    return "other (" + Path(filename).name + ")"


def pymalloc_stats() -> dict[str, int]:
    """pymalloc's arenas: bytes mapped, in live blocks, and free inside them."""
    with tempfile.TemporaryFile("w+") as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read()
    wanted = {
        "bytes in allocated blocks": "live",
        "bytes in available blocks": "free_blocks",
        "unused pools": "unused_pools",
        "bytes lost to pool headers": "pool_headers",
        "bytes lost to quantization": "quantization",
        "Total": "mapped",
    }
    found: dict[str, int] = {}
    for line in text.splitlines():
        label, _, value = line.rpartition("=")
        for prefix, key in wanted.items():
            if prefix in label and key not in found:
                found[key] = int(value.strip().replace(",", ""))
    return found


def heap_stats() -> dict[str, int]:
    """glibc malloc, all arenas: bytes in use, free but kept, and mmapped blocks."""
    LIBC.mallinfo2.restype = MallInfo2
    info = LIBC.mallinfo2()
    return {"in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


def memory_state(label: str) -> dict[str, int]:
    state = {"rss": rss_kb(os.getpid()) * 1024, "threads": threading.active_count()}
    state |= {f"heap_{k}": v for k, v in heap_stats().items()}
    state |= {f"pymalloc_{k}": v for k, v in pymalloc_stats().items()}
    state["label"] = label  # type: ignore[assignment]
    return state


def print_states(states: list[dict[str, int]], clients: int) -> None:
    """Each stage's figures, after the first (before any client) as growth per client."""
    base = states[0]
    print("| figure | " + " | ".join(str(s["label"]) for s in states) + " |")
    print("| --- |" + " --- |" * len(states))
    for key in (k for k in base if k != "label"):
        if key == "threads":
            cells = [str(s[key]) for s in states]
        else:
            cells = [f"{base[key] / 1024 / 1024:.1f} MB"] + [
                f"{(s[key] - base[key]) / clients / 1024:+.1f} KB/client" for s in states[1:]
            ]
        print(f"| {key} | " + " | ".join(cells) + " |")


@contextlib.asynccontextmanager
async def database(postgres: bool) -> AsyncIterator[str]:
    """A fresh migrated database: a SQLite file (aiosqlite threads) or PostgreSQL (none)."""
    if postgres:
        async with scratch_postgres("lc_memory") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        yield url


async def main(args: argparse.Namespace) -> None:
    await npm_install()
    states: list[dict[str, int]] = []
    async with database(args.postgres) as url:
        os.environ.update({**LIVECLASS_ENV, "LIVECLASS_DATABASE_URL": url})
        settings = Settings(_env_file=None, jwt_secret=SECRET, database_url=url)
        students = [f"s{i}" for i in range(args.clients)]
        async with serve_asgi(create_app(settings)) as base:
            class_id = await prepare(base, settings, students)
            config = {
                "urls": [base],
                "classId": None if args.connect_only else class_id,
                "tokens": [token(settings, s, Role.STUDENT) for s in students],
                "senderToken": token(settings, "mentor", Role.MENTOR),
                "rates": [1],
                "seconds": 1,
                "settleMs": 3000,
                "perWorker": 500,
            }
            with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
                json.dump(config, file)
                file.flush()
                gc.collect()
                if not args.rss_only:
                    tracemalloc.start(8)
                    before = tracemalloc.take_snapshot()
                states.append(memory_state("before"))
                proc = await asyncio.create_subprocess_exec(
                    "node", "loadgen.mjs", file.name, cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE
                )
                assert proc.stdout is not None
                while line := (await proc.stdout.readline()).decode():
                    if line.startswith("READY"):
                        states.append(memory_state("idle"))
                        gc.collect()
                        states.append(memory_state("after gc"))
                        if not args.rss_only:
                            after = tracemalloc.take_snapshot()
                        LIBC.malloc_trim(0)
                        states.append(memory_state("after malloc_trim"))
                        break
                else:
                    raise SystemExit("the load generator ended before its clients were ready")
                await proc.communicate()
    n = args.clients
    what = "connected" if args.connect_only else "joined"
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{n} clients {what} and idle ({backend}, {args.loop}); RSS growth ", end="")
    print(f"{(states[1]['rss'] - states[0]['rss']) / n / 1024:.1f} KB/client\n")
    print_states(states, n)
    if args.rss_only:
        return
    diff = after.compare_to(before, "traceback")
    by_package: Counter[str] = Counter()
    by_site: Counter[str] = Counter()
    for stat in diff:
        if stat.size_diff <= 0:
            continue
        # The innermost frame inside a package we know says who asked for the memory.
        frames = list(stat.traceback)
        owner = next(
            (f for f in reversed(frames) if package_of(f.filename) in PACKAGES), frames[-1]
        )
        by_package[package_of(owner.filename)] += stat.size_diff
        by_site[f"{owner.filename.split('site-packages/')[-1]}:{owner.lineno}"] += stat.size_diff
    total = sum(by_package.values())
    print(f"\ntracemalloc growth {total / n / 1024:.1f} KB/client\n")
    print("| allocated by | KB/client |\n| --- | --- |")
    for name, size in by_package.most_common(12):
        print(f"| {name} | {size / n / 1024:.2f} |")
    print("\n| allocation site | KB/client |\n| --- | --- |")
    for site, size in by_site.most_common(25):
        print(f"| {site} | {size / n / 1024:.2f} |")
    sys.stdout.flush()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rss-only", action="store_true", help="no tracemalloc: explain RSS")
    parser.add_argument("--connect-only", action="store_true", help="clients do not join")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    return args


if __name__ == "__main__":
    arguments = parse_args()
    # uvloop is what ``uvicorn.run`` picks (``loop="auto"``), as in the fan-out benchmarks.
    factory = uvloop.new_event_loop if arguments.loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main(arguments))
