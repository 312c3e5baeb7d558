"""REST benchmark: a student lists the classes of a course of 200 classes at a fixed rate.

Starts one ``liveclass`` process on a fresh PostgreSQL database on 127.0.0.1,
makes a course with ``--classes`` classes and one enrolled student, then
sends ``GET /api/live-classes?course_id=...`` (the default page: 50 classes
and the total) at ``--rate`` requests a second for ``--seconds`` seconds,
open loop (a request starts on schedule whether or not earlier ones have
answered).  Prints p50/p99/max time to the answer, the answers that were not
200 and the server's CPU per request.  Usage::

    PYTHONPATH=. .venv/bin/python scripts/bench/rest.py [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
import httpx

from scripts.bench.classroom import BASE_ENV, create_classes, enroll, headers
from scripts.benchlib import bounded, cpu_of, percentiles, scratch_postgres, servers


async def hammer(
    http: aiohttp.ClientSession, path: str, auth: dict[str, str], rate: int, seconds: float
) -> tuple[list[float], dict[int, int], float]:
    """Open-loop GETs; (latencies, statuses, the sender's worst lag behind schedule).

    aiohttp, not httpx: httpcore's pool slows down quadratically with many
    queued requests, and the sender would fall seconds behind its schedule.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lag = 0.0

    async def one() -> None:
        began = time.perf_counter()
        async with http.get(path, headers=auth) as response:
            await response.read()
        latencies.append(time.perf_counter() - began)
        statuses[response.status] = statuses.get(response.status, 0) + 1

    tasks = []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        lag = max(lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies, statuses, lag


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    async with scratch_postgres("lc_bench_rest") as database_url:
        env = {**BASE_ENV, "LIVECLASS_DATABASE_URL": database_url}
        async with servers(env, 1) as live:
            ((url, pid),) = live
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                await enroll(http, "c1", ["student"])
                await create_classes(http, "c1", args.classes, live=False)
                auth = headers("student")
                path = "/api/live-classes?course_id=c1"
                first = await http.get(path, headers=auth)
                first.raise_for_status()
                listed = first.json()
                assert listed["count"] == args.classes, listed["count"]
                page = len(listed["data"])
            connector = aiohttp.TCPConnector(limit=100)
            async with aiohttp.ClientSession(url, connector=connector) as session:
                await hammer(session, path, auth, args.rate, 2)  # warm-up: connections, caches
                cpu_before = cpu_of(pid)
                latencies, statuses, lag = await hammer(
                    session, path, auth, args.rate, args.seconds
                )
                cpu = cpu_of(pid) - cpu_before
    p50, p99 = percentiles(latencies)
    print(
        f"\nGET /api/live-classes?course_id=c1 as an enrolled student ({page} of {args.classes} "
        f"classes a page), {args.rate} req/s for {args.seconds:g} s, PostgreSQL on 127.0.0.1\n"
    )
    print(
        "| requests | not 200 | p50 ms | p99 ms | max ms | server CPU ms/request | sender lag ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {len(latencies)} | {len(latencies) - statuses.get(200, 0)} | {p50 * 1000:.1f} "
        f"| {p99 * 1000:.1f} | {max(latencies) * 1000:.1f} "
        f"| {cpu / len(latencies) * 1000:.2f} | {lag * 1000:.1f} |"
    )


if __name__ == "__main__":
    asyncio.run(bounded(main()))
