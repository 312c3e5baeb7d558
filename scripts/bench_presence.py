"""Join storm benchmark: N connected clients join one class within W seconds.

Runs against a server it starts itself on 127.0.0.1 (never anything else): one
process on a fresh SQLite file, or with ``--redis`` two processes on a fresh
PostgreSQL database sharing Redis (half the clients on each).  For each class
size it prints the join acks (p50/p99, all joined?), the server CPU per join
(user + system time of the server processes over the storm, /proc) and the
``presence:update``
events and bytes (payload JSON) the clients received during the storm.  With
count + deltas (at most 50 users a list, 4 updates a second) the bytes per
client are bounded by the storm's length, not the class size, so the total
grows linearly with the class; a full online list in every update made each
client's share grow with the class (a quadratic total).  The last update
every joined client saw must carry the final count (``presence:list``'s).

Usage::

    PYTHONPATH=. python scripts/bench_presence.py [--sizes 100,300] [--within 5] [--redis URL]

The clients are python-socketio in this one process; connecting is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import socketio

from scripts.bench_realtime import SECRET, prepare, token
from scripts.benchlib import cpu_of, percentiles, scratch_postgres, servers
from server.auth import Role
from server.migrate import upgrade
from server.settings import Settings


@dataclass
class Storm:
    size: int
    acks: list[float] = field(default_factory=list)
    failed: int = 0
    updates: int = 0
    presence_bytes: int = 0
    final_counts_exact: int = 0
    cpu_seconds: float = 0.0

    def row(self) -> str:
        p50, p99 = (x * 1000 for x in percentiles(self.acks))
        return (
            f"| {self.size} | {len(self.acks)}/{self.size} | {p50:.0f} | {p99:.0f} "
            f"| {self.cpu_seconds / self.size * 1000:.1f} "
            f"| {self.updates / self.size:.1f} | {self.presence_bytes / self.size:.0f} "
            f"| {self.presence_bytes / 1e6:.2f} | {self.final_counts_exact}/{len(self.acks)} |"
        )


async def storm(live: list[tuple[str, int]], settings: Settings, size: int, within: float) -> Storm:
    urls = [url for url, _ in live]
    students = [f"s{i:05}" for i in range(size)]
    class_id = await prepare(urls[0], settings, students)
    result = Storm(size)
    last: dict[int, int] = {}  # each client's latest count
    arrived = asyncio.Event()
    clients: list[socketio.AsyncClient] = []

    def listener(index: int) -> Any:
        def on_presence(data: dict[str, Any]) -> None:
            result.updates += 1
            result.presence_bytes += len(json.dumps(data, ensure_ascii=False).encode())
            last[index] = int(data["count"])
            arrived.set()

        return on_presence

    async def connect(index: int, sub: str) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        client.on("presence:update", listener(index))
        await client.connect(
            urls[index % len(urls)],
            auth={"token": token(settings, sub, Role.STUDENT)},
            transports=["websocket"],
            wait_timeout=60,
        )
        return client

    for start in range(0, size, 50):
        clients += await asyncio.gather(
            *(connect(start + i, sub) for i, sub in enumerate(students[start : start + 50]))
        )

    async def join(index: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        began = time.monotonic()
        ack = await clients[index].call("class:join", {"class_id": class_id}, timeout=120)
        if ack.get("ok"):
            result.acks.append(time.monotonic() - began)
            in_class.append(index)
        else:
            result.failed += 1

    in_class: list[int] = []

    cpu_before = sum(cpu_of(pid) for _, pid in live)
    began = time.monotonic()
    await asyncio.gather(*(join(i, began + within * i / size) for i in range(size)))
    # The truth, then up to 10 s for the last batches to bring every client to it.
    listed = await clients[in_class[0]].call("presence:list", {"class_id": class_id, "limit": 1})
    final = int(listed["count"])
    deadline = time.monotonic() + 10
    with contextlib.suppress(TimeoutError):
        while sum(last.get(i) == final for i in in_class) < len(in_class):
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), deadline - time.monotonic())
    result.final_counts_exact = sum(last.get(i) == final for i in in_class)
    result.cpu_seconds = sum(cpu_of(pid) for _, pid in live) - cpu_before
    for client in clients:
        await client.disconnect()
    return result


async def run(env: dict[str, str], processes: int, args: argparse.Namespace) -> list[Storm]:
    settings = Settings(_env_file=None, jwt_secret=SECRET)
    results = []
    async with servers(env, processes) as live:
        for size in args.sizes:
            results.append(await storm(live, settings, size, args.within))
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", type=lambda v: [int(x) for x in v.split(",")], default=[100, 300]
    )
    parser.add_argument("--within", type=float, default=5.0, help="seconds the joins spread over")
    parser.add_argument("--redis", default=None, help="two processes on PostgreSQL + this Redis")
    args = parser.parse_args()
    base = {
        "LIVECLASS_JWT_SECRET": SECRET,
        "LIVECLASS_SECRET_KEY": SECRET,
        "LIVECLASS_LOG_LEVEL": "WARNING",
    }
    if args.redis:
        async with scratch_postgres("lc_bench") as pg_url:
            env = {
                **base,
                "LIVECLASS_DATABASE_URL": pg_url,
                "LIVECLASS_REDIS_URL": args.redis,
                "LIVECLASS_REDIS_PREFIX": pg_url.rsplit("/", 1)[1],
            }
            setup, results = "2 processes, PostgreSQL + Redis", await run(env, 2, args)
    else:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await asyncio.to_thread(upgrade, sqlite_url)
            env = {**base, "LIVECLASS_DATABASE_URL": sqlite_url}
            setup, results = "1 process, SQLite", await run(env, 1, args)
    print(f"\n{setup}: each class joined within {args.within} s\n")
    print(
        "| clients | joined | join ack p50 ms | p99 ms | server CPU ms per join "
        "| presence updates per client "
        "| presence bytes per client | total MB | final count exact |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    asyncio.run(main())
