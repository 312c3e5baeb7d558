"""Join storm benchmark: N connected students join one live class within a few seconds.

Starts one ``liveclass`` process on a fresh PostgreSQL database on 127.0.0.1,
enrolls the students, connects them all first (bare Socket.IO clients, see
``sioclient.py``; connecting is not what is measured), then sends every
``class:join`` spread evenly over ``--window`` seconds; a join answered
``rate_limited`` is sent again after its ``retry_after``, as clients do.
For each class size in ``--sizes`` it prints how many joined, the join
acks' p50/p99 (from the first attempt, retries included), how many
``rate_limited`` answers came, and the presence bytes the clients received
(``presence:update`` frames, until the room has been quiet for 2 s) in
total and per client: with presence that scales, bytes per client stay
flat as the class grows.

The students are spread over ``--load-processes`` Python processes (default
2): in one, 2000 students' websockets kept its event loop busy enough to lag
up to 400 ms behind, and that lag was counted in the acks.  Usage::

    PYTHONPATH=. .venv/bin/python scripts/bench/joins.py [--sizes 500,1000,2000] [--window 10]
        [--load-processes 2] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from scripts.bench.classroom import BASE_ENV, connect_all, create_classes, enroll
from scripts.bench.sioclient import SioClient
from scripts.benchlib import (
    LOAD_PRIORITY,
    ROOT,
    bounded,
    cpu_of,
    percentiles,
    py_spy,
    scratch_postgres,
    servers,
)


@dataclass
class Share:
    """What one load process measured: its students' join acks and presence bytes."""

    acks: list[float] = field(default_factory=list)
    refused: list[Any] = field(default_factory=list)
    retries: int = 0
    presence_bytes: int = 0
    last_ack: float = 0.0  # wall clock


async def join_share(url: str, class_id: str, first: int, students: list[str], size: int) -> None:
    """A load process (``--share``): connect ``students`` (numbers ``first`` on of ``size``),
    say READY, read the storm's start and window (wall clock) from stdin, join each at its
    turn, wait until presence is quiet, print the :class:`Share` as JSON, and disconnect
    when told (a line on stdin)."""
    clients = await connect_all(url, students)
    print("READY", flush=True)
    began, window = map(float, (await asyncio.to_thread(sys.stdin.readline)).split())
    share = Share()

    async def join(client: SioClient, due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.time()))
        sent = time.perf_counter()
        try:
            async with asyncio.timeout(120):
                ack = await client.call("class:join", {"class_id": class_id})
                while not ack["ok"] and ack["error"]["code"] == "rate_limited":
                    share.retries += 1  # as a client does: again after retry_after
                    await asyncio.sleep(ack["error"]["retry_after"])
                    ack = await client.call("class:join", {"class_id": class_id})
        except TimeoutError:
            share.refused.append("timeout")
            return
        share.acks.append(time.perf_counter() - sent)
        share.last_ack = max(share.last_ack, time.time())
        if not ack["ok"]:
            share.refused.append(ack)

    await asyncio.gather(
        *(join(c, began + window * (first + i) / size) for i, c in enumerate(clients))
    )
    quiet, last = 0.0, -1
    while quiet < 2:  # presence batches still in flight
        await asyncio.sleep(0.25)
        now = sum(c.bytes_in["presence:update"] for c in clients)
        quiet = quiet + 0.25 if now == last else 0.0
        last = now
    share.presence_bytes = last
    print(json.dumps(asdict(share)), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the others measured too: their leaves now
    for client in clients:
        await client.close()


async def storm(size: int, window: float, processes: int, profile: str | None) -> str:
    students = [f"s{i}" for i in range(size)]
    async with scratch_postgres("lc_bench_joins") as database_url:
        env = {**BASE_ENV, "LIVECLASS_DATABASE_URL": database_url}
        async with servers(env, 1) as live:
            ((url, pid),) = live
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                await enroll(http, "c1", students)
                (class_id,) = await create_classes(http, "c1", 1, live=True)
            per = -(-size // processes)
            loads = [
                await asyncio.create_subprocess_exec(
                    *LOAD_PRIORITY,
                    sys.executable,
                    "-m",
                    "scripts.bench.joins",
                    "--share",
                    json.dumps([url, class_id, first, students[first : first + per], size]),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                for first in range(0, size, per)
            ]
            for load in loads:  # every student connected before the storm
                assert load.stdout is not None and load.stdin is not None
                if (await load.stdout.readline()).strip() != b"READY":
                    raise RuntimeError("a load process did not connect its students")
            cpu_before = cpu_of(pid)
            profiler = await py_spy(pid, window + 2, f"{profile}.{size}") if profile else None
            began = time.time() + 0.05
            for load in loads:
                assert load.stdin is not None
                load.stdin.write(f"{began} {window}\n".encode())
                await load.stdin.drain()
            shares = []
            for load in loads:
                assert load.stdout is not None
                shares.append(Share(**json.loads(await load.stdout.readline())))
            cpu = cpu_of(pid) - cpu_before
            for load in loads:
                assert load.stdin is not None
                load.stdin.write(b"close\n")
                await load.stdin.drain()
                await load.wait()
            if profiler is not None:
                await profiler.wait()
    acks = [a for share in shares for a in share.acks]
    refused = [r for share in shares for r in share.refused]
    presence = sum(share.presence_bytes for share in shares)
    all_acked = max(share.last_ack for share in shares) - began
    p50, p99 = percentiles(acks)
    if refused:
        print(f"{size} students: {len(refused)} joins failed, the first: {refused[0]}")
    return (
        f"| {size} | {len(acks) - len(refused)}/{size} | {all_acked:.1f} | {p50 * 1000:.0f} "
        f"| {p99 * 1000:.0f} | {presence / 1e6:.1f} | {presence / size / 1e3:.1f} "
        f"| {cpu / size * 1000:.1f} | {sum(share.retries for share in shares)} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,1000,2000")
    parser.add_argument("--window", type=float, default=10)
    parser.add_argument(
        "--load-processes",
        type=int,
        default=2,
        help="processes the students are spread over (one Python loop lagged behind 2000)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy the server during each storm into FILE.<size>"
    )
    parser.add_argument("--share", help=argparse.SUPPRESS)  # a load process (internal)
    args = parser.parse_args()
    if args.share:
        await join_share(*json.loads(args.share))
        return
    print(
        f"\nstudents join one live class, joins spread over {args.window:g} s, one server "
        f"process, PostgreSQL on 127.0.0.1, students in {args.load_processes} load processes\n"
    )
    print(
        "| students | joined | all acked after s | join ack p50 ms | p99 ms "
        "| presence MB to clients | presence KB per client | server CPU ms/join "
        "| rate_limited answers |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes.split(","):  # each row as soon as it is measured
        print(await storm(int(size), args.window, args.load_processes, args.profile), flush=True)


if __name__ == "__main__":
    asyncio.run(bounded(main()))
