"""Redis unreachable: the process keeps serving its own clients and says so."""

from __future__ import annotations

import httpx

from tests.support.platform import Platform
from tests.support.servers import serve_app
from tests.support.sockets import connected, live_class


async def test_serves_locally_without_redis(platform: Platform) -> None:
    class_id = await live_class(platform)
    broken = platform.server.settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "presence_ttl_seconds": 3}
    )
    async with serve_app(broken) as lonely:
        async with connected(lonely.url, platform.mentor, platform.students[0]) as (host, pupil):
            await host.join(class_id)
            snap = await pupil.join(class_id)
            assert {u["id"] for u in snap["presence"]["users"]} == {
                platform.mentor.user_id,
                platform.students[0].user_id,
            }
            ack = await pupil.ok("chat:send", {"class_id": class_id, "text": "still here"})
            got = await host.wait_for("chat:message")
            assert got["message"] == ack["message"]
            await pupil.ok("reaction:send", {"class_id": class_id, "emoji": "👍"})
            await host.wait_for("reaction:burst")
        async with httpx.AsyncClient(base_url=lonely.url) as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"].startswith("unavailable")
            assert ready.json()["checks"]["database"] == "ok"
            metrics = (await http.get("/metrics")).text
            assert "liveclass_broker_up 0.0" in metrics
