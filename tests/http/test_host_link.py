"""Zoom's host link (``start_url``) expires: hosts get a fresh one every time it is handed out."""

from __future__ import annotations

import re
from typing import Any

from tests.support.platform import Platform
from tests.support.provider_fakes import ProviderWorld
from tests.support.sockets import connected


async def zoom_class(world: Platform, providers: ProviderWorld) -> tuple[dict[str, Any], int]:
    zoom = providers.zoom
    account = {
        "account_id": zoom.account_id,
        "client_id": zoom.client_id,
        "client_secret": zoom.client_secret,
    }
    connected_ = await world.call("PUT", "/api/admin/integrations/zoom", world.admin, json=account)
    assert connected_.status_code == 200, connected_.text
    zoom.add_user("mentor-1@example.com")
    created = await world.schedule(provider="zoom")
    found = re.search(r"/s/(\d+)\?zak=", created["host_url"])
    assert found is not None, created["host_url"]
    return created, int(found.group(1))


async def test_hosts_get_a_fresh_start_url_on_join_get_and_class_join(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    created, meeting_id = await zoom_class(world, providers)
    path = f"/api/live-classes/{created['id']}"
    seen = {created["host_url"]}
    for _ in range(2):
        joined = await world.call("POST", f"{path}/join", world.mentor)
        got = await world.call("GET", path, world.mentor)
        links = [joined.json()["data"]["host_url"], got.json()["data"]["host_url"]]
        for link in links:
            assert link.startswith(f"https://us05web.zoom.us/s/{meeting_id}?zak=")
            assert link not in seen  # a new host key each time
            seen.add(link)
    async with connected(world.server.url, world.mentor) as (host,):
        snapshot = await host.join(created["id"])
        assert snapshot["class"]["host_url"] not in seen
        assert snapshot["class"]["host_url"].startswith(f"https://us05web.zoom.us/s/{meeting_id}")
    # Participants never see it.
    student = await world.call("GET", path, world.students[0])
    assert student.json()["data"]["host_url"] is None
    pupil = await world.call("POST", f"{path}/join", world.students[0])
    assert pupil.json()["data"].get("host_url") is None


async def test_when_zoom_cannot_answer_the_stored_link_is_handed_out(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    created, meeting_id = await zoom_class(world, providers)
    del providers.zoom.meetings[meeting_id]  # gone at Zoom: GET answers 404 / 3001
    joined = await world.call("POST", f"/api/live-classes/{created['id']}/join", world.mentor)
    assert joined.status_code == 200, joined.text
    assert joined.json()["data"]["host_url"] == created["host_url"]
    got = await world.call("GET", f"/api/live-classes/{created['id']}", world.mentor)
    assert got.json()["data"]["host_url"] == created["host_url"]
