"""The pages' files: served by the app with their headers, light, and shipped in the package."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import httpx

from server.web.pages import STATIC_DIR
from tests.support.servers import LiveServer

REPO = Path(__file__).resolve().parents[2]
BUDGET_BYTES = 150_000


def test_own_javascript_and_css_stay_under_the_budget() -> None:
    files = [*STATIC_DIR.rglob("*.js"), *STATIC_DIR.rglob("*.css")]
    total = sum(path.stat().st_size for path in files)
    assert len(files) >= 7
    assert total < BUDGET_BYTES, f"{total} bytes of JS + CSS"


def test_every_page_file_is_package_data() -> None:
    """A non-editable install ships what the globs in pyproject.toml match."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["server.web"]
    package = STATIC_DIR.parent
    for path in STATIC_DIR.rglob("*"):
        if path.is_file():
            relative = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(relative, glob) for glob in globs), relative


async def test_pages_and_modules_are_served(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        for path in ("/", "/classes/any-class-id"):
            page = await http.get(path)
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["cache-control"] == "no-store"
        module = await http.get("/static/js/socketio.js")
        assert module.status_code == 200
        assert "javascript" in module.headers["content-type"]
        assert "export class Socket" in module.text
        missing = await http.get("/static/js/nothing.js")
        assert missing.status_code == 404
