"""Every class status change made over HTTP reaches the class room as ``class:status``."""

from __future__ import annotations

from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_start_end_and_cancel_are_broadcast_with_seq(platform: Platform) -> None:
    class_id = await live_class(platform, start=False)
    cancelled_id = await live_class(platform, start=False)
    async with connected(platform.server.url, platform.students[0]) as (student,):
        snapshot = await student.join(class_id)
        await student.join(cancelled_id)
        path = f"/api/live-classes/{class_id}"
        started = (await platform.call("POST", f"{path}/start", platform.mentor)).json()["data"]
        live = await student.wait_for("class:status", lambda d: d["status"] == "live")
        assert live == {
            "class_id": class_id,
            "seq": snapshot["seq"] + 1,
            "status": "live",
            "actual_start": started["actual_start"],
            "actual_end": None,
        }
        ended = (await platform.call("POST", f"{path}/end", platform.mentor)).json()["data"]
        done = await student.wait_for("class:status", lambda d: d["status"] == "ended")
        assert (done["seq"], done["actual_end"]) == (snapshot["seq"] + 2, ended["actual_end"])

        await platform.call("DELETE", f"/api/live-classes/{cancelled_id}", platform.mentor)
        cancelled = await student.wait_for("class:status", lambda d: d["status"] == "cancelled")
        assert cancelled["class_id"] == cancelled_id
        assert cancelled["actual_start"] is None and cancelled["seq"] >= 1
