"""Connecting an organization's own Zoom and Google accounts with secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.db.tables import provider_credentials
from tests.support.clock import FakeClock
from tests.support.platform import Platform
from tests.support.provider_fakes import ProviderWorld


def status(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_zoom_secrets_are_proven_kept_sealed_and_never_shown(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world, zoom = provider_platform, providers.zoom
    path = "/api/admin/integrations/zoom"
    assert status(await world.call("GET", path, world.admin)) == {
        "provider": "zoom",
        "connected": False,
        "source": None,
        "kind": None,
        "account_id": None,
        "updated_at": None,
    }
    wrong = {"account_id": zoom.account_id, "client_id": zoom.client_id, "client_secret": "nope"}
    refused = await world.call("PUT", path, world.admin, json=wrong)
    assert refused.status_code == 502 and refused.json()["error"]["code"] == "provider_error"
    assert status(await world.call("GET", path, world.admin))["connected"] is False

    good = {**wrong, "client_secret": zoom.client_secret}
    connected = await world.call("PUT", path, world.admin, json=good)
    body = status(connected)
    assert (body["connected"], body["source"], body["kind"], body["account_id"]) == (
        True,
        "organization",
        "server_to_server",
        zoom.account_id,
    )
    assert zoom.client_secret not in connected.text

    # The organization's own account now holds its classes' meetings, hosted by the mentor.
    zoom.add_user("mentor-1@example.com")
    created = await world.schedule(provider="zoom")
    assert created["join_url"].startswith("https://us05web.zoom.us/j/")
    assert created["host_url"].startswith("https://us05web.zoom.us/s/")
    assert created["passcode"]  # the host's
    as_student = await world.call("GET", f"/api/live-classes/{created['id']}", world.students[0])
    # Zoom's join_url embeds the passcode (pwd=): participants need nothing more.
    assert "pwd=" in created["join_url"] and as_student.json()["data"]["passcode"] is None

    assert status(await world.call("DELETE", path, world.admin))["connected"] is False
    gone = await world.call("DELETE", path, world.admin)
    assert gone.status_code == 404
    failed = await world.call(
        "POST",
        "/api/live-classes",
        world.mentor,
        json={
            "course_id": world.course_id,
            "title": "x",
            "provider": "zoom",
            "scheduled_start": "2031-01-01T10:00:00Z",
            "scheduled_end": "2031-01-01T11:00:00Z",
        },
    )
    assert failed.status_code == 502
    assert "not connected" in failed.json()["error"]["message"]


async def test_a_saved_account_is_dated_by_the_steered_clock(
    provider_platform: Platform, providers: ProviderWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credential store reads the context's clock, like everything else."""
    world, zoom = provider_platform, providers.zoom
    then = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    monkeypatch.setattr(providers.server.state.ctx, "clock", FakeClock(then))
    path = "/api/admin/integrations/zoom"
    good = {"account_id": zoom.account_id, "client_id": zoom.client_id}
    saved = await world.call(
        "PUT", path, world.admin, json={**good, "client_secret": zoom.client_secret}
    )
    assert status(saved)["connected"] is True
    shown = status(await world.call("GET", path, world.admin))["updated_at"]
    assert shown == then.isoformat().replace("+00:00", "Z")
    assert status(await world.call("DELETE", path, world.admin))["connected"] is False


async def test_secrets_at_rest_are_sealed(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world, zoom = provider_platform, providers.zoom
    good = {
        "account_id": zoom.account_id,
        "client_id": zoom.client_id,
        "client_secret": zoom.client_secret,
    }
    status(await world.call("PUT", "/api/admin/integrations/zoom", world.admin, json=good))
    db = providers.server.state.ctx.db
    async with db.read() as conn:
        sealed = await conn.scalar(
            select(provider_credentials.c.sealed).where(provider_credentials.c.org_id == world.org)
        )
    assert sealed is not None and zoom.client_secret not in sealed and zoom.account_id not in sealed


async def test_google_refresh_tokens_are_proven_before_they_are_kept(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world, google = provider_platform, providers.google
    path = "/api/admin/integrations/google"
    record = {
        "client_id": google.client_id,
        "client_secret": google.client_secret,
        "refresh_token": "revoked-or-made-up",
    }
    refused = await world.call("PUT", path, world.admin, json=record)
    assert refused.status_code == 502 and "invalid_grant" in refused.text
    record["refresh_token"] = google.add_refresh_token()
    body = status(await world.call("PUT", path, world.admin, json=record))
    assert (body["provider"], body["connected"], body["kind"]) == ("google_meet", True, "oauth")
    assert record["refresh_token"] not in str(body)


async def test_only_admins_connect_and_input_is_checked(
    provider_platform: Platform,
) -> None:
    world = provider_platform
    for who in (world.mentor, world.students[0]):
        forbidden = await world.call("GET", "/api/admin/integrations/zoom", who)
        assert forbidden.status_code == 403
    missing = await world.call(
        "PUT", "/api/admin/integrations/zoom", world.admin, json={"account_id": "a"}
    )
    assert missing.status_code == 400
    assert set(missing.json()["error"]["details"]) == {"client_id", "client_secret"}
    unknown = await world.call("GET", "/api/admin/integrations/teams", world.admin)
    assert unknown.status_code == 404
