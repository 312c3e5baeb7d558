"""A real Chromium (Debian's package, never a downloaded build) driven by Playwright.

``LIVECLASS_CHROMIUM`` names the executable (default ``/usr/bin/chromium``).
Without it the browser tests skip with a message, except under ``CI=true``
where they fail: CI must run them (``.ci/run`` installs the package).
Screenshots go to ``LIVECLASS_SCREENSHOTS`` (default ``tests/web/screenshots``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from tests.web.pages import Pages

CHROMIUM = os.environ.get("LIVECLASS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("LIVECLASS_SCREENSHOTS", Path(__file__).parent / "screenshots"))
# Headless as root in a container: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> None:
    message = f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs {message}", pytrace=False)
    pytest.skip(message)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        _browser_missing()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
async def pages(browser: Browser, screenshots: Path) -> AsyncIterator[Pages]:
    """Browser contexts (one per person) for one test; page errors fail the test."""
    opened = Pages(browser, screenshots)
    try:
        yield opened
    finally:
        await opened.close()
    assert not opened.errors, opened.errors
