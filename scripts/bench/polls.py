"""Poll storm benchmark: N students in one live class vote within one second.

Starts one ``liveclass`` process on a fresh PostgreSQL database on 127.0.0.1
(``--sqlite`` for a SQLite file instead), enrolls ``--students`` students,
connects and joins them all (bare Socket.IO clients, see ``sioclient.py``),
then the mentor opens a single-choice poll with live results and every
student votes once, the votes spread evenly over ``--window`` seconds.
Prints the vote acks' p50/p99, whether the tally the mentor gets on closing
the poll is exact, and how long after the last vote each student saw the
final results (a ``poll:results`` with every vote counted).  Usage::

    PYTHONPATH=. .venv/bin/python scripts/bench/polls.py [--students 1000] [--window 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from scripts.bench.classroom import BASE_ENV, connect_all, create_classes, enroll, token
from scripts.bench.sioclient import SioClient
from scripts.benchlib import bounded, cpu_of, percentiles, scratch_postgres, servers
from server.auth import Role
from server.migrate import upgrade

OPTIONS = ["A", "B", "C", "D"]


@asynccontextmanager
async def database(sqlite: bool) -> AsyncIterator[str]:
    if not sqlite:
        async with scratch_postgres("lc_bench_polls") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        yield url


async def join_all(clients: list[SioClient], class_id: str, batch: int = 50) -> None:
    for at in range(0, len(clients), batch):
        async with asyncio.timeout(120):
            acks = await asyncio.gather(
                *(c.call("class:join", {"class_id": class_id}) for c in clients[at : at + batch])
            )
        refused = [ack for ack in acks if not ack["ok"]]
        if refused:
            raise RuntimeError(f"join refused: {refused[0]}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    students = [f"s{i}" for i in range(args.students)]
    final_at: dict[int, float] = {}
    everyone_has_final = asyncio.Event()

    def listener(i: int) -> Callable[[str, Any, float], None]:
        def seen(name: str, data: Any, at: float) -> None:
            if name == "poll:results" and data["results"]["total"] == args.students:
                final_at.setdefault(i, at)
                if len(final_at) == args.students:
                    everyone_has_final.set()

        return seen

    async with database(args.sqlite) as database_url:
        env = {**BASE_ENV, "LIVECLASS_DATABASE_URL": database_url}
        async with servers(env, 1) as live:
            ((url, pid),) = live
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                await enroll(http, "c1", students)
                (class_id,) = await create_classes(http, "c1", 1, live=True)
            began = time.perf_counter()
            clients = await connect_all(url, students, listener=listener)
            await join_all(clients, class_id)
            joined_in = time.perf_counter() - began
            mentor = SioClient(url, token("mentor", Role.MENTOR))
            await mentor.connect()
            assert (await mentor.call("class:join", {"class_id": class_id}))["ok"]
            opened = await mentor.call(
                "poll:create",
                {
                    "class_id": class_id,
                    "question": "Which?",
                    "kind": "single",
                    "options": OPTIONS,
                    "results": "live",
                },
            )
            assert opened["ok"], opened
            poll_id = opened["poll"]["id"]
            await asyncio.sleep(2)  # presence and poll:opened batches drain
            acks: list[float] = []
            refused: list[Any] = []
            last_vote = 0.0

            async def vote(i: int, client: SioClient, due: float) -> None:
                nonlocal last_vote
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                sent = time.perf_counter()
                last_vote = max(last_vote, sent)
                ack = await client.call(
                    "poll:vote", {"class_id": class_id, "poll_id": poll_id, "choice": i % 4}
                )
                acks.append(time.perf_counter() - sent)
                if not ack["ok"]:
                    refused.append(ack)

            cpu_before = cpu_of(pid)
            start = time.perf_counter() + 0.05
            await asyncio.gather(
                *(
                    vote(i, client, start + args.window * i / len(clients))
                    for i, client in enumerate(clients)
                )
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everyone_has_final.wait(), 10)
            cpu = cpu_of(pid) - cpu_before
            closed = await mentor.call("poll:close", {"class_id": class_id, "poll_id": poll_id})
            expected = Counter(i % 4 for i in range(len(clients)))
            exact = closed["ok"] and closed["results"]["counts"] == [
                expected[n] for n in range(len(OPTIONS))
            ]
            for client in [*clients, mentor]:
                await client.close()
    ack_p50, ack_p99 = percentiles(acks)
    delays = [at - last_vote for at in final_at.values()]
    _, final_p99 = percentiles(delays)
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"\n{len(clients)} students vote once within {args.window:g} s, one process, {backend} "
        f"on 127.0.0.1 (connecting and joining them took {joined_in:.0f} s)\n"
    )
    print(
        "| votes acked ok | ack p50 ms | ack p99 ms | tally exact | students with final results "
        "| final results p99 ms after last vote | max ms | server CPU ms/vote |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {len(acks) - len(refused)}/{len(clients)} | {ack_p50 * 1000:.1f} | "
        f"{ack_p99 * 1000:.1f} | {'yes' if exact else 'NO'} | {len(final_at)}/{len(clients)} "
        f"| {final_p99 * 1000:.0f} | {max(delays, default=float('nan')) * 1000:.0f} "
        f"| {cpu / len(clients) * 1000:.2f} |"
    )
    if refused:
        print(f"\nfirst refusal: {refused[0]}")


if __name__ == "__main__":
    asyncio.run(bounded(main()))
