"""Tokens expire on sockets too: each event checks the token's ``exp`` on the server's clock.

A socket is authenticated once, at connect, but may stay open for hours.  An
event that arrives after ``exp`` plus ``LIVECLASS_JWT_LEEWAY_SECONDS`` (the
leeway HTTP allows) changes nothing: it is acked ``unauthorized``, the socket
receives ``auth:expired`` ``{message}`` and is then disconnected by the server;
the client reconnects with a fresh token and sends ``class:resync``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from ..errors import Unauthorized, ack_body
from ..services.context import ServiceContext
from .server import principal_of

__all__ = ["AUTH_EXPIRED", "TokenExpiry"]

AUTH_EXPIRED = "auth:expired"

log = logging.getLogger("liveclass.realtime")


class TokenExpiry:
    def __init__(self, sio: socketio.AsyncServer, ctx: ServiceContext) -> None:
        self._sio = sio
        self._ctx = ctx
        self._closing: dict[str, asyncio.Task[None]] = {}

    async def refusal(self, sid: str) -> dict[str, Any] | None:
        """``None`` while the socket's token holds; otherwise the ``unauthorized`` ack to send."""
        principal = await principal_of(self._sio, sid)
        if not self._ctx.tokens.expired(principal, self._ctx.clock()):
            return None
        error = Unauthorized("the token has expired: reconnect with a fresh token")
        if sid not in self._closing:  # once per socket, however many events race in
            await self._sio.emit(
                AUTH_EXPIRED, {"message": error.message}, to=sid, ignore_queue=True
            )
            # The task runs once this handler yields, which is after python-socketio
            # has queued the ack: the client gets the ack, then the disconnect.
            self._closing[sid] = asyncio.create_task(self._disconnect(sid))
        return ack_body(error)

    async def _disconnect(self, sid: str) -> None:
        try:
            await self._sio.disconnect(sid, ignore_queue=True)
        except Exception:  # the socket is going anyway; nothing to hand the error to
            log.exception("could not disconnect socket %s after its token expired", sid)
        finally:
            del self._closing[sid]
