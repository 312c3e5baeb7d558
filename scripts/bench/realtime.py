"""Chat fan-out benchmark: N clients in one class, one sender at R messages/s for D seconds.

Runs against servers it starts itself on 127.0.0.1 (never anything else):
  1. one process on a fresh SQLite file, no Redis;
  2. two processes on a fresh PostgreSQL database sharing Redis (half the
     clients on each, the sender on the first).
For each it prints delivered/expected, p50/p99 delivery latency (send ->
receive, same clock) and server CPU per delivered message (user+system time
of the server processes from /proc/<pid>/stat over the send phase).

The clients are python-socketio in this one process, so at high rates the
client side may saturate before the server does; the CPU figure only counts
the servers.  Usage::

    PYTHONPATH=. python scripts/bench/realtime.py [--clients 500] [--rate 20] [--seconds 10]

The servers get ``PYTHONPATH`` set to this checkout, so they run this tree's code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import socketio

from scripts.benchlib import cpu_of, percentiles, scratch_postgres, servers
from server.auth import Role, issue_token
from server.migrate import upgrade
from server.settings import Settings

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
ORG = "bench-org"


@dataclass
class Result:
    name: str
    delivered: int
    expected: int
    latencies: list[float]
    cpu_seconds: float

    def row(self) -> str:
        p50, p99 = (x * 1000 for x in percentiles(self.latencies))
        per = self.cpu_seconds / self.delivered * 1e6 if self.delivered else float("nan")
        return (
            f"| {self.name} | {self.delivered}/{self.expected} "
            f"({self.delivered / self.expected:.1%}) | {p50:.1f} | {p99:.1f} | {per:.1f} |"
        )


def token(settings: Settings, sub: str, role: Role) -> str:
    return issue_token(
        settings, sub=sub, org=ORG, role=role, name=sub.title(), email=f"{sub}@example.com"
    )


async def prepare(url: str, settings: Settings, students: list[str]) -> str:
    admin = {"Authorization": f"Bearer {token(settings, 'admin', Role.ADMIN)}"}
    mentor = {"Authorization": f"Bearer {token(settings, 'mentor', Role.MENTOR)}"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        await http.put(
            "/api/courses/c1", json={"title": "Bench", "mentors": ["mentor"]}, headers=admin
        )
        await http.put("/api/courses/c1/enrollments", json={"students": students}, headers=admin)
        start = datetime.now(UTC) + timedelta(minutes=5)
        created = await http.post(
            "/api/live-classes",
            headers=mentor,
            json={
                "course_id": "c1",
                "title": "Bench",
                "scheduled_start": start.isoformat(),
                "scheduled_end": (start + timedelta(hours=1)).isoformat(),
            },
        )
        if created.status_code != 201:
            raise RuntimeError(created.text)
        class_id: str = created.json()["data"]["id"]
        await http.post(f"/api/live-classes/{class_id}/start", headers=mentor)
        return class_id


async def run(name: str, env: dict[str, str], processes: int, args: argparse.Namespace) -> Result:
    settings = Settings(_env_file=None, jwt_secret=SECRET)
    students = [f"s{i}" for i in range(args.clients)]
    latencies: list[float] = []
    delivered = 0
    async with servers(env, processes) as live:
        urls = [u for u, _ in live]
        class_id = await prepare(urls[0], settings, students)
        clients: list[socketio.AsyncClient] = []

        all_in = asyncio.Event()
        total = args.rate * args.seconds

        def on_message(data: dict[str, Any]) -> None:
            nonlocal delivered
            delivered += 1
            latencies.append(time.time() - float(data["message"]["text"]))
            if delivered >= total * len(clients):
                all_in.set()

        async def connect(i: int, sub: str, role: Role) -> socketio.AsyncClient:
            client = socketio.AsyncClient(reconnection=False)
            client.on("chat:message", on_message)
            await client.connect(
                urls[i % len(urls)],
                auth={"token": token(settings, sub, role)},
                transports=["websocket"],
                wait_timeout=30,
            )
            ack = await client.call("class:join", {"class_id": class_id}, timeout=60)
            assert ack["ok"], ack
            return client

        for batch in range(0, len(students), 50):
            clients += await asyncio.gather(
                *(
                    connect(batch + i, sub, Role.STUDENT)
                    for i, sub in enumerate(students[batch : batch + 50])
                )
            )
        sender = socketio.AsyncClient(reconnection=False)
        await sender.connect(
            urls[0],
            auth={"token": token(settings, "mentor", Role.MENTOR)},
            transports=["websocket"],
            wait_timeout=30,
        )
        await asyncio.sleep(3)  # let join-time presence batches drain
        delivered, latencies[:] = 0, []
        cpu_before = sum(cpu_of(pid) for _, pid in live)
        began = time.monotonic()
        for n in range(total):
            await asyncio.sleep(max(0.0, began + n / args.rate - time.monotonic()))
            await sender.emit("chat:send", {"class_id": class_id, "text": repr(time.time())})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), 10)  # stragglers after the last send
        cpu = sum(cpu_of(pid) for _, pid in live) - cpu_before
        for client in [*clients, sender]:
            await client.disconnect()
    return Result(name, delivered, total * args.clients, latencies, cpu)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    base = {
        "LIVECLASS_JWT_SECRET": SECRET,
        "LIVECLASS_SECRET_KEY": SECRET,
        "LIVECLASS_LOG_LEVEL": "WARNING",
    }
    results = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, sqlite_url)
        results.append(
            await run("1 process, SQLite", {**base, "LIVECLASS_DATABASE_URL": sqlite_url}, 1, args)
        )
    async with scratch_postgres("lc_bench") as pg_url:
        results.append(
            await run(
                "2 processes, PostgreSQL + Redis",
                {
                    **base,
                    "LIVECLASS_DATABASE_URL": pg_url,
                    "LIVECLASS_REDIS_URL": args.redis,
                    "LIVECLASS_REDIS_PREFIX": pg_url.rsplit("/", 1)[1],
                },
                2,
                args,
            )
        )
    print(f"\n{args.clients} clients, {args.rate} msg/s for {args.seconds} s\n")
    print("| setup | delivered/expected | p50 ms | p99 ms | server CPU us/delivery |")
    print("| --- | --- | --- | --- | --- |")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    asyncio.run(main())
