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
flat as the class grows.  Usage::

    PYTHONPATH=. .venv/bin/python scripts/bench/joins.py [--sizes 500,1000,2000] [--window 10]
        [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx

from scripts.bench.classroom import BASE_ENV, connect_all, create_classes, enroll
from scripts.bench.sioclient import SioClient
from scripts.benchlib import bounded, cpu_of, percentiles, py_spy, scratch_postgres, servers


async def storm(size: int, window: float, profile: str | None) -> str:
    students = [f"s{i}" for i in range(size)]
    async with scratch_postgres("lc_bench_joins") as database_url:
        env = {**BASE_ENV, "LIVECLASS_DATABASE_URL": database_url}
        async with servers(env, 1) as live:
            ((url, pid),) = live
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                await enroll(http, "c1", students)
                (class_id,) = await create_classes(http, "c1", 1, live=True)
            clients = await connect_all(url, students)
            acks: list[float] = []
            refused: list[Any] = []
            retries = 0

            async def join(client: SioClient, due: float) -> None:
                nonlocal retries
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                sent = time.perf_counter()
                try:
                    async with asyncio.timeout(120):
                        ack = await client.call("class:join", {"class_id": class_id})
                        while not ack["ok"] and ack["error"]["code"] == "rate_limited":
                            retries += 1  # as a client does: again after retry_after
                            await asyncio.sleep(ack["error"]["retry_after"])
                            ack = await client.call("class:join", {"class_id": class_id})
                except TimeoutError:
                    refused.append("timeout")
                    return
                acks.append(time.perf_counter() - sent)
                if not ack["ok"]:
                    refused.append(ack)

            cpu_before = cpu_of(pid)
            profiler = await py_spy(pid, window + 2, f"{profile}.{size}") if profile else None
            start = time.perf_counter() + 0.05
            began = time.perf_counter()
            await asyncio.gather(
                *(join(c, start + window * i / size) for i, c in enumerate(clients))
            )
            all_acked = time.perf_counter() - began
            if profiler is not None:
                await profiler.wait()
            quiet, last = 0.0, -1
            while quiet < 2:  # presence batches still in flight
                await asyncio.sleep(0.25)
                now = sum(c.bytes_in["presence:update"] for c in clients)
                quiet = quiet + 0.25 if now == last else 0.0
                last = now
            cpu = cpu_of(pid) - cpu_before
            presence = sum(c.bytes_in["presence:update"] for c in clients)
            for client in clients:
                await client.close()
    p50, p99 = percentiles(acks)
    if refused:
        print(f"{size} students: {len(refused)} joins failed, the first: {refused[0]}")
    return (
        f"| {size} | {len(acks) - len(refused)}/{size} | {all_acked:.1f} | {p50 * 1000:.0f} "
        f"| {p99 * 1000:.0f} | {presence / 1e6:.1f} | {presence / size / 1e3:.1f} "
        f"| {cpu / size * 1000:.1f} | {retries} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,1000,2000")
    parser.add_argument("--window", type=float, default=10)
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy the server during each storm into FILE.<size>"
    )
    args = parser.parse_args()
    print(
        f"\nstudents join one live class, joins spread over {args.window:g} s, one process, "
        "PostgreSQL on 127.0.0.1\n"
    )
    print(
        "| students | joined | all acked after s | join ack p50 ms | p99 ms "
        "| presence MB to clients | presence KB per client | server CPU ms/join "
        "| rate_limited answers |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes.split(","):  # each row as soon as it is measured
        print(await storm(int(size), args.window, args.profile), flush=True)


if __name__ == "__main__":
    asyncio.run(bounded(main()))
