"""Where a connected, joined, idle client's server memory goes (tracemalloc, by package).

Serves liveclass in this process (one process, fresh SQLite file) with
tracemalloc on, connects ``--clients`` official socket.io-client sockets (the
fan-out load generator) that each join one class, and once they are idle
compares a snapshot with the one taken before they connected.  Prints KB per
client by package and by allocation site, and the RSS growth per client.
Usage::

    PYTHONPATH=. python -m scripts.bench.fanout_memory [--clients 500]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path

from scripts.bench.fanout import LIVECLASS_ENV, NODE_DIR, SECRET, npm_install, rss_kb
from scripts.bench.realtime import prepare, token
from server.app import create_app
from server.auth import Role
from server.migrate import upgrade
from server.settings import Settings
from tests.fakes.serving import serve_asgi

PACKAGES = ("uvicorn", "websockets", "engineio", "socketio", "server", "asyncio", "sqlalchemy")


def package_of(filename: str) -> str:
    parts = Path(filename).parts
    for name in PACKAGES:
        if name in parts:
            return name
    return "other (" + Path(filename).name + ")"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    args = parser.parse_args()
    await npm_install()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        os.environ.update({**LIVECLASS_ENV, "LIVECLASS_DATABASE_URL": url})
        settings = Settings(_env_file=None, jwt_secret=SECRET, database_url=url)
        students = [f"s{i}" for i in range(args.clients)]
        async with serve_asgi(create_app(settings)) as base:
            class_id = await prepare(base, settings, students)
            config = {
                "urls": [base],
                "classId": class_id,
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
                tracemalloc.start(8)
                before, rss_before = tracemalloc.take_snapshot(), rss_kb(os.getpid())
                proc = await asyncio.create_subprocess_exec(
                    "node", "loadgen.mjs", file.name, cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE
                )
                assert proc.stdout is not None
                while line := (await proc.stdout.readline()).decode():
                    if line.startswith("READY"):
                        gc.collect()
                        after, rss_after = tracemalloc.take_snapshot(), rss_kb(os.getpid())
                        break
                else:
                    raise SystemExit("the load generator ended before its clients were ready")
                await proc.communicate()
    n = args.clients
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
    print(f"\n{n} clients joined and idle; tracemalloc growth {total / n / 1024:.1f} KB/client, ")
    print(f"RSS growth {(rss_after - rss_before) / n:.1f} KB/client\n")
    print("| allocated by | KB/client |\n| --- | --- |")
    for name, size in by_package.most_common(12):
        print(f"| {name} | {size / n / 1024:.2f} |")
    print("\n| allocation site | KB/client |\n| --- | --- |")
    for site, size in by_site.most_common(25):
        print(f"| {site} | {size / n / 1024:.2f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
