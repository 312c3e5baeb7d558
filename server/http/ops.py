"""Operational endpoints: liveness, readiness, metrics, the API document and its page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from ..errors import LiveclassError
from .openapi import DOCS_HTML
from .responses import json_response
from .state import state_of

__all__ = ["ops_routes"]


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when every backing service answers and works; 503 saying which does not and why."""
    checks: dict[str, str] = {}
    for name, probe in state_of(request).readiness.items():
        try:
            await probe()
            checks[name] = "ok"
        except LiveclassError as exc:
            checks[name] = f"unavailable: {exc.message}"
        except (OSError, ConnectionError, TimeoutError) as exc:
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return json_response(
        {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503
    )


async def metrics(request: Request) -> Response:
    return Response(
        state_of(request).metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )


async def openapi(request: Request) -> Response:
    return json_response(state_of(request).openapi)


async def docs(request: Request) -> Response:
    return HTMLResponse(DOCS_HTML)


def ops_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/openapi.json", openapi),
        Route("/docs", docs),
        Mount("/docs/static", StaticFiles(directory=swagger_ui_path), name="docs-static"),
    ]
