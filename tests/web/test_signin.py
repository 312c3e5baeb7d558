"""Signing in from the platform's link, and every way it can fail, as a person sees it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
from playwright.async_api import expect

from server.auth import Role, issue_token
from tests.support.platform import Platform
from tests.support.sockets import live_class
from tests.web.pages import Pages


async def test_the_token_moves_from_the_address_to_the_tab(
    platform: Platform, pages: Pages
) -> None:
    class_id = await live_class(platform)
    sam = platform.students[0]
    page = await pages.classroom(platform.server.url, sam, class_id)
    assert page.url == f"{platform.server.url}/classes/{class_id}"
    assert await page.evaluate("sessionStorage.getItem('liveclass.token')") == sam.token
    # A reload (no fragment now) still signs in, from this tab's storage.
    await page.reload()
    await page.locator("body[data-ready=true]").wait_for(state="attached")
    await expect(page.locator("#who")).to_have_text("Signed in as Sam Student")


async def test_without_a_token_the_page_says_how_to_sign_in(
    platform: Platform, pages: Pages
) -> None:
    for path in ("/", "/classes/some-class"):
        page = await pages.open(platform.server.url + path, label=f"anonymous {path}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("You are not signed in")
        await expect(page.get_by_role("alert")).to_contain_text("learning platform")


async def test_a_refused_token_shows_the_servers_reason(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    forged = jwt.encode(
        {"sub": "student-1", "org": platform.org, "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-secret-that-is-long-enough-0123456789",
        algorithm="HS256",
    )
    for path in (f"/classes/{class_id}", "/"):
        page = await pages.open(
            f"{platform.server.url}{path}#token={forged}", label=f"forged {path}"
        )
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your sign-in was refused")
        await expect(page.get_by_role("alert")).to_contain_text("invalid token")
        assert "token" not in page.url


async def test_an_expired_token_says_the_session_expired(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    expired = issue_token(
        platform.server.settings,
        sub="student-1",
        org=platform.org,
        role=Role.STUDENT,
        ttl=timedelta(minutes=-5),
    )
    page = await pages.open(
        f"{platform.server.url}/classes/{class_id}#token={expired}", label="expired"
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your session has expired")


async def test_a_class_of_another_organization_is_not_found(
    platform: Platform, pages: Pages
) -> None:
    class_id = await live_class(platform)
    outsider = platform.person("student-1", "Sam Elsewhere", Role.STUDENT, org="another-org")
    page = await pages.open(
        f"{platform.server.url}/classes/{class_id}#token={outsider.token}", label="outsider"
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Class not found")
    await expect(page.get_by_role("alert")).to_contain_text("another organization")


async def test_a_student_not_enrolled_cannot_enter(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    stranger = platform.person("student-9", "Nia Newcomer", Role.STUDENT)
    page = await pages.open(
        f"{platform.server.url}/classes/{class_id}#token={stranger.token}", label="stranger"
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("You cannot enter this class")


async def test_my_classes_live_upcoming_and_past(platform: Platform, pages: Pages) -> None:
    live = await live_class(platform, title="Algebra live")
    upcoming = (await platform.schedule(title="Geometry next week"))["id"]
    past = await live_class(platform, title="Intro last week")
    ended = await platform.call("POST", f"/api/live-classes/{past}/end", platform.mentor)
    assert ended.status_code == 200, ended.text
    sam = platform.students[0]
    page = await pages.open(f"{platform.server.url}/#token={sam.token}", label="home")
    await expect(page.locator("#live")).to_contain_text("Algebra live")
    await expect(page.locator("#upcoming")).to_contain_text("Geometry next week")
    await expect(page.locator("#past")).to_contain_text("Intro last week")
    await expect(page.locator("#live")).to_contain_text("Jitsi Meet")
    await expect(page.locator("#upcoming time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    await expect(page.get_by_role("link", name="Open Geometry next week")).to_have_attribute(
        "href", f"/classes/{upcoming}"
    )
    assert "token" not in page.url
    await page.get_by_role("link", name="Join Algebra live").click()
    await page.locator("body[data-ready=true]").wait_for(state="attached")
    assert page.url.endswith(f"/classes/{live}")
    await expect(page.locator("#class-title")).to_have_text("Algebra live")
