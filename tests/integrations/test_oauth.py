"""The OAuth consent flows, bound to the browser session that started them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from tests.support.platform import Platform
from tests.support.provider_fakes import ProviderWorld


async def test_zoom_user_oauth_end_to_end(provider_platform: Platform) -> None:
    world = provider_platform
    async with httpx.AsyncClient(base_url=world.server.url, follow_redirects=True) as browser:
        done = await browser.get("/api/integrations/zoom/authorize", headers=world.admin.headers)
        # our app -> Zoom's consent (the fake grants at once) -> our callback
        assert [r.status_code for r in done.history] == [302, 302]
        assert done.status_code == 200, done.text
        assert done.json()["data"]["kind"] == "oauth"
        assert "liveclass_oauth_zoom" not in browser.cookies
    shown = await world.call("GET", "/api/admin/integrations/zoom", world.admin)
    assert shown.json()["data"]["connected"] is True
    created = await world.schedule(provider="zoom")
    assert created["join_url"].startswith("https://us05web.zoom.us/j/")


async def _callback(
    world: Platform, name: str, params: dict[str, str], cookies: dict[str, str]
) -> httpx.Response:
    """The provider's redirect back, in a browser holding ``cookies``."""
    async with httpx.AsyncClient(base_url=world.server.url, cookies=cookies) as browser:
        return await browser.get(f"/api/integrations/{name}/callback", params=params)


async def _start(world: Platform, name: str) -> tuple[httpx.Response, dict[str, list[str]]]:
    started = await world.http.get(
        f"/api/integrations/{name}/authorize", headers=world.admin.headers
    )
    assert started.status_code == 302
    return started, parse_qs(urlparse(started.headers["location"]).query)


async def test_google_consent_callback(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    started, query = await _start(world, "google")
    assert started.headers["location"].startswith("https://accounts.google.com/o/oauth2/v2/auth")
    assert query["access_type"] == ["offline"]
    redirect_uri = query["redirect_uri"][0]
    assert redirect_uri == f"{world.server.url}/api/integrations/google/callback"
    code = providers.google.issue_code(redirect_uri)
    cookie = started.cookies["liveclass_oauth_google"]
    back = await _callback(
        world,
        "google",
        {"code": code, "state": query["state"][0]},
        {"liveclass_oauth_google": cookie},
    )
    assert back.status_code == 200, back.text
    assert back.json()["data"]["connected"] is True


async def test_callbacks_refuse_forged_foreign_or_incomplete_requests(
    provider_platform: Platform, providers: ProviderWorld
) -> None:
    world = provider_platform
    started, query = await _start(world, "zoom")
    state = query["state"][0]
    cookie = {"liveclass_oauth_zoom": started.cookies["liveclass_oauth_zoom"]}
    code = providers.zoom.issue_code(query["redirect_uri"][0])
    cases = [
        ({"code": code, "state": state}, {}, 403),  # another browser: no cookie
        ({"code": code, "state": state}, {"liveclass_oauth_zoom": "other"}, 403),
        ({"code": code, "state": state[:-4] + "AAAA"}, cookie, 400),
        ({"code": code}, cookie, 400),
        ({"error": "access_denied", "state": state}, cookie, 400),
    ]
    for params, cookies, expected in cases:
        response = await _callback(world, "zoom", params, cookies)
        assert response.status_code == expected, (params, response.text)
    # A Google state is not accepted by the Zoom callback.
    _, google_query = await _start(world, "google")
    crossed = await _callback(
        world, "zoom", {"code": code, "state": google_query["state"][0]}, cookie
    )
    assert crossed.status_code == 400
    # The untouched code still works in the right session.
    fine = await _callback(world, "zoom", {"code": code, "state": state}, cookie)
    assert fine.status_code == 200, fine.text
    bad_code = await _callback(world, "zoom", {"code": "made-up", "state": state}, cookie)
    assert bad_code.status_code == 502
    assert (await world.http.get("/api/integrations/zoom/authorize")).status_code == 401
