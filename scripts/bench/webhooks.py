"""Webhook intake benchmark on PostgreSQL: signed Zoom events per second and time to the 2xx.

Starts, on 127.0.0.1 only: the fake Zoom (so a class can hold a Zoom
meeting), one ``liveclass`` process on a fresh PostgreSQL database with its
webhook worker running, and a sender posting Zoom-signed
``meeting.participant_joined``/``_left`` events for that meeting from
``--concurrency`` connections.  It prints accepted events per second, p50/p99
time to the 2xx, how long the worker took to finish them all and the
server's CPU per event.  Usage::

    PYTHONPATH=. .venv/bin/python scripts/bench/webhooks.py [--events 4000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import httpx
from sqlalchemy import func, select

from scripts.benchlib import cpu_of, percentiles, scratch_postgres, servers
from server.auth import Role, issue_token
from server.db import Database
from server.db.tables import webhook_events
from server.settings import Settings
from tests.fakes.serving import serve_asgi
from tests.fakes.zoom import create_fake_zoom
from tests.fakes.zoom_webhooks import ZoomMeetingFacts, ZoomParticipant, ZoomWebhookSender

SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"
WEBHOOK_SECRET = "bench-zoom-webhook-secret"
START = datetime(2031, 1, 1, 9, tzinfo=UTC)


def headers(sub: str, role: Role, email: str | None = None) -> dict[str, str]:
    settings = Settings(_env_file=None, jwt_secret=SECRET)
    token = issue_token(settings, sub=sub, org="bench", role=role, email=email)
    return {"Authorization": f"Bearer {token}"}


async def zoom_class(url: str) -> ZoomMeetingFacts:
    admin, mentor = headers("admin", Role.ADMIN), headers("m1", Role.MENTOR, "owner@example.com")
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await http.put("/api/courses/c1", json={"title": "C", "mentors": ["m1"]}, headers=admin)
        created = await http.post(
            "/api/live-classes",
            json={
                "course_id": "c1",
                "title": "Bench",
                "provider": "zoom",
                "scheduled_start": START.isoformat(),
                "scheduled_end": (START + timedelta(hours=2)).isoformat(),
            },
            headers=mentor,
        )
        created.raise_for_status()
    found = re.search(r"/j/(\d+)", created.json()["data"]["join_url"])
    assert found is not None
    return ZoomMeetingFacts(int(found.group(1)), "bench-uuid==", "host", "Bench", START)


def bodies(meeting: ZoomMeetingFacts, count: int) -> list[bytes]:
    sender = ZoomWebhookSender(WEBHOOK_SECRET)
    out: list[bytes] = []
    for n in range(count // 2):
        who = ZoomParticipant(str(n), f"Guest {n}", participant_uuid=f"p-{n}")
        at = START + timedelta(seconds=n % 3600)
        out.append(sender.encode(sender.participant_joined(meeting, who, at)))
        out.append(sender.encode(sender.participant_left(meeting, who, at + timedelta(minutes=20))))
    return out


async def pending(db: Database) -> int:
    async with db.read() as conn:
        waiting = select(func.count()).where(webhook_events.c.status.in_(["pending", "processing"]))
        return int(await conn.scalar(waiting) or 0)


async def run(name: str, env: dict[str, str], *, split: bool, args: argparse.Namespace) -> str:
    """One setup; ``split``: intake in one process, the worker in another."""
    intake_env = {**env, "LIVECLASS_WEBHOOK_WORKER": "false"} if split else env
    async with (
        scratch_postgres("lc_bench_wh") as database_url,
        servers({**intake_env, "LIVECLASS_DATABASE_URL": database_url}, 1) as intake_live,
        servers({**env, "LIVECLASS_DATABASE_URL": database_url}, 1 if split else 0) as workers,
    ):
        ((url, _),) = intake_live
        pids = [pid for _, pid in (*intake_live, *workers)]
        payloads = bodies(await zoom_class(url), args.events)
        sender = ZoomWebhookSender(WEBHOOK_SECRET)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        queue = iter(payloads)
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        cpu_before = sum(cpu_of(pid) for pid in pids)
        async with aiohttp.ClientSession(url, connector=connector) as http:

            async def post_all() -> None:
                for raw in queue:
                    signed = sender.headers(raw, request_id=str(len(latencies)))
                    began = time.perf_counter()
                    async with http.post("/api/zoom/webhook", data=raw, headers=signed) as answer:
                        await answer.read()
                    latencies.append(time.perf_counter() - began)
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1

            began = time.perf_counter()
            await asyncio.gather(*(post_all() for _ in range(args.concurrency)))
            intake = time.perf_counter() - began
        db = Database(database_url)
        try:
            async with asyncio.timeout(300):
                while True:
                    if not await pending(db):
                        break
                    await asyncio.sleep(0.1)
        finally:
            await db.dispose()
        drained = time.perf_counter() - began
        cpu = sum(cpu_of(pid) for pid in pids) - cpu_before
    assert statuses == {200: len(payloads)}, statuses
    p50, p99 = percentiles(latencies)
    return (
        f"| {name} | {len(payloads) / intake:.0f} | {p50 * 1000:.1f} | {p99 * 1000:.1f} "
        f"| {drained:.1f} | {len(payloads) / drained:.0f} | {cpu / len(payloads) * 1000:.2f} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    zoom = create_fake_zoom()
    async with serve_asgi(zoom.app, lifespan="off") as zoom_url:
        env = {
            "LIVECLASS_JWT_SECRET": SECRET,
            "LIVECLASS_SECRET_KEY": SECRET,
            "LIVECLASS_LOG_LEVEL": "WARNING",
            "LIVECLASS_ZOOM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LIVECLASS_ZOOM_ACCOUNT_ID": zoom.account_id,
            "LIVECLASS_ZOOM_CLIENT_ID": zoom.client_id,
            "LIVECLASS_ZOOM_CLIENT_SECRET": zoom.client_secret,
            "LIVECLASS_ZOOM_API_BASE": f"{zoom_url}/v2",
            "LIVECLASS_ZOOM_OAUTH_BASE": zoom_url,
            "LIVECLASS_WEBHOOK_POLL_SECONDS": "0.2",
        }
        rows = [
            await run("1 process: intake + worker", env, split=False, args=args),
            await run("intake process + worker process", env, split=True, args=args),
        ]
    print(
        f"\n{args.events} Zoom-signed participant events from {args.concurrency} connections, "
        "PostgreSQL on 127.0.0.1, every answer 200\n"
    )
    print(
        "| setup | accepted/s | p50 ms to 2xx | p99 ms to 2xx | all processed after s "
        "| processed/s | server CPU ms/event |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(row)


if __name__ == "__main__":
    asyncio.run(main())
