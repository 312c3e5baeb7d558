from __future__ import annotations

from tests.support.platform import Platform


async def test_schedule_and_get(platform: Platform) -> None:
    created = await platform.schedule()
    got = await platform.call("GET", f"/api/live-classes/{created['id']}", platform.students[0])
    assert got.status_code == 200, got.text
    assert got.json()["data"]["status"] == "scheduled"
    assert got.json()["data"]["host_url"] is None
