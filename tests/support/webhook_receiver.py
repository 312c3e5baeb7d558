"""A learning platform's webhook receiver on 127.0.0.1: verifies every delivery with the
``standardwebhooks`` package and records what it got, in arrival order.

It can be told to answer with an error for the next few requests, to answer
late, or be stopped and started again on the same port (``down``/``up``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.serving import free_port, serve_asgi

__all__ = ["Delivery", "Receiver", "running_receiver"]


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    type: str
    data: dict[str, Any]
    body: bytes


@dataclass
class Receiver:
    port: int
    secret: str | None = None
    received: list[Delivery] = field(default_factory=list)
    # Deliveries whose signature did not verify (a test expects none).
    forged: list[str] = field(default_factory=list)
    fail_next: int = 0
    answer_after: float = 0.0
    _stack: AsyncExitStack | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            try:
                assert self.secret is not None, "no secret told to the receiver yet"
                payload = Webhook(self.secret).verify(body, dict(request.headers))
            except (WebhookVerificationError, AssertionError) as exc:
                self.forged.append(str(exc))
                return JSONResponse({"error": "bad signature"}, status_code=401)
            self.received.append(
                Delivery(request.headers["webhook-id"], payload["type"], payload["data"], body)
            )
            self._arrived.set()
            if self.answer_after:
                await asyncio.sleep(self.answer_after)
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"error": "try again later"}, status_code=503)
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hooks", hook, methods=["POST"])])

    async def up(self) -> None:
        stack = AsyncExitStack()
        await stack.enter_async_context(serve_asgi(self.app(), lifespan="off", port=self.port))
        self._stack = stack

    async def down(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    def types(self, where: Callable[[Delivery], bool] = lambda d: True) -> list[str]:
        return [d.type for d in self.received if where(d)]

    async def wait_for(self, condition: Callable[[], bool], within: float = 20) -> None:
        """Until ``condition()`` holds; it is checked again at each arrival."""
        async with asyncio.timeout(within):
            while not condition():
                self._arrived.clear()
                if not condition():
                    await self._arrived.wait()


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver(free_port())
    await receiver.up()
    try:
        yield receiver
    finally:
        await receiver.down()
