"""Fault drill: Redis killed (-9) and restarted under two server processes sharing it.

``/readyz`` must not say ready before fan-out works again: the moment each
process says 200, a chat message from a client on the other one reaches its
clients.  The Redis is the test's own, on a free port.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import httpx
import pytest

from tests.support.backends import Backend
from tests.support.platform import Platform
from tests.support.redis_server import own_redis
from tests.support.servers import LiveServer, serve_app
from tests.support.sockets import Client, connected, live_class
from tests.support.waiting import wait_until


async def readiness(server: LiveServer) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        return await http.get("/readyz")


async def wait_ready(server: LiveServer, ready: bool, within: float = 60) -> None:
    async def answers() -> bool:
        return (await readiness(server)).status_code == (200 if ready else 503)

    await wait_until(answers, within=within, what=f"/readyz {'ready' if ready else 'not ready'}")


async def crosses(sender: Client, receiver: Client, class_id: str, within: float) -> bool:
    text = secrets.token_hex(4)
    await sender.ok("chat:send", {"class_id": class_id, "text": text})
    try:
        await receiver.wait_for(
            "chat:message", lambda d: d["message"]["text"] == text, within=within
        )
    except TimeoutError:
        return False
    return True


@pytest.mark.slow
async def test_ready_again_only_once_fan_out_works_after_a_redis_restart(
    backend: Backend, tmp_path: Path
) -> None:
    with own_redis(tmp_path) as redis_server:
        settings = backend.settings(redis_url=redis_server.url, presence_ttl_seconds=3)
        async with (
            asyncio.timeout(240),  # a drill that hangs must fail, not stall the suite
            serve_app(settings) as a,
            serve_app(settings.model_copy()) as b,
            Platform.create(a, org=f"org-{secrets.token_hex(4)}") as platform,
        ):
            class_id = await live_class(platform)
            async with (
                connected(a.url, platform.mentor) as (host,),
                connected(b.url, platform.students[0]) as (pupil,),
            ):
                await host.join(class_id)
                await pupil.join(class_id)
                await wait_ready(a, True)
                await wait_ready(b, True)
                assert await crosses(pupil, host, class_id, within=5)

                redis_server.kill()
                await wait_ready(a, False)
                down = (await readiness(a)).json()["checks"]
                assert down["redis"].startswith("unavailable"), down
                assert down["database"] == "ok"

                redis_server.start()
                # Each process says ready only when it receives again; the other
                # direction is covered by the other process's own check.
                await wait_ready(a, True)
                assert await crosses(pupil, host, class_id, within=3)
                await wait_ready(b, True)
                assert await crosses(host, pupil, class_id, within=3)
