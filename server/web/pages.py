"""Routes of the browser pages: ``/`` (my classes) and ``/classes/{class_id}`` (the classroom).

The pages are static files shipped inside the package (no build step, nothing
fetched from another host); they sign in with the token the platform puts in
the address's fragment and talk to the same HTTP API and Socket.IO protocol as
any other client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "page_routes"]

STATIC_DIR = Path(__file__).parent / "static"

# The pages load only their own files; the socket goes back to the same host.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; frame-src https:; object-src 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _page(name: str) -> Callable[[Request], Awaitable[Response]]:
    path = STATIC_DIR / name

    async def serve(request: Request) -> Response:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    return serve


def page_routes() -> list[BaseRoute]:
    return [
        Route("/", _page("home.html")),
        Route("/classes/{class_id}", _page("classroom.html")),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="web-static"),
    ]
