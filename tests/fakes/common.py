"""What the fakes share: injected failures and slowness, raw-path routing, tokens."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "Clock",
    "FaultMiddleware",
    "Faults",
    "RawPathMiddleware",
    "bearer",
    "form_and_query",
    "path_param",
    "utc_z",
]

Clock = Callable[[], float]

_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass
class _Fault:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Faults:
    """Failure knobs of a fake; they apply to its API routes, not its OAuth endpoints.

    * :meth:`fail_next` queues canned answers (status, JSON body, headers)
      returned instead of the real one by the next API requests, in order.
    * ``delay`` seconds are slept before answering every API request (to
      provoke client timeouts).
    * ``requests`` counts API requests seen, including failed ones.
    """

    delay: float = 0.0
    requests: int = 0
    _queue: list[_Fault] = field(default_factory=list)

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self._queue.append(_Fault(status, body, dict(headers or {})))

    def clear(self) -> None:
        self._queue.clear()
        self.delay = 0.0

    def _take(self) -> _Fault | None:
        return self._queue.pop(0) if self._queue else None


class FaultMiddleware:
    """Applies :class:`Faults` to requests whose path starts with one of ``prefixes``."""

    def __init__(self, app: ASGIApp, faults: Faults, prefixes: tuple[str, ...]) -> None:
        self._app = app
        self._faults = faults
        self._prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(self._prefixes):
            await self._app(scope, receive, send)
            return
        self._faults.requests += 1
        if self._faults.delay:
            await asyncio.sleep(self._faults.delay)
        fault = self._faults._take()
        if fault is None:
            await self._app(scope, receive, send)
            return
        content = b"" if fault.body is None else json.dumps(fault.body).encode()
        media = "application/json;charset=UTF-8" if content else None
        response = Response(content, fault.status, headers=fault.headers, media_type=media)
        await response(scope, receive, send)


class RawPathMiddleware:
    """Route on the path as sent, so ``%2F`` inside an id does not split the path.

    Servers hand ASGI apps a percent-*decoded* ``path``; Zoom's API gateway
    evidently routes on the encoded one (hence its double-encoding rule).
    Handlers decode ids with :func:`path_param`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and raw:
            scope = {**scope, "path": raw.decode("latin-1")}
        await self._app(scope, receive, send)


def path_param(request: Request, name: str) -> str:
    """A path segment decoded once, and once more if it still holds escapes (double-encoded)."""
    value = unquote(str(request.path_params[name]))
    return unquote(value) if _ESCAPE.search(value) else value


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def form_and_query(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body merged with the query string.

    Parsed by hand: Starlette's form parser needs python-multipart, which the
    server does not otherwise depend on.
    """
    body = (await request.body()).decode("utf-8")
    return dict(parse_qsl(body)) | dict(request.query_params.items())


def utc_z(moment: datetime) -> str:
    """``2026-01-05T15:00:00Z``: the second-precision UTC form Zoom uses everywhere."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
