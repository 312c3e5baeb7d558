"""The Socket.IO server: token check at connect, the class rooms, and the broadcaster.

Rooms and event handlers live in :mod:`.hub` and :mod:`.handlers`; the
``disconnect`` handler (open socket count, presence) is registered there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import socketio

from ..auth import Principal, TokenVerifier
from ..errors import LiveclassError
from ..metrics import Metrics
from .packets import TRANSPORT_MAX_BYTES, bounded_packet_class

__all__ = ["create_socket_server", "principal_of"]

log = logging.getLogger("liveclass.realtime")


def create_socket_server(
    tokens: TokenVerifier,
    metrics: Metrics,
    *,
    cors_origins: list[str],
    redis_url: str | None,
    redis_prefix: str,
    max_event_bytes: int,
) -> socketio.AsyncServer:
    manager = (
        socketio.AsyncRedisManager(redis_url, channel=f"{redis_prefix}:socketio")
        if redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins="*" if cors_origins == ["*"] else cors_origins,
        logger=False,
        engineio_logger=False,
        serializer=bounded_packet_class(max_event_bytes),
        max_http_buffer_size=TRANSPORT_MAX_BYTES,
    )

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            principal = tokens.verify(token if isinstance(token, str) else None)
        except LiveclassError as exc:
            # Socket.IO v4 clients see ``err.message`` and ``err.data``.
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code, "message": exc.message}
            ) from None
        await sio.save_session(sid, {"principal": principal})
        metrics.open_sockets.inc()

    sio.on("connect", connect)

    return sio


async def close_socket_server(sio: socketio.AsyncServer) -> None:
    """Stop background work, including the Redis manager's listener and connections.

    python-socketio's ``AsyncRedisManager`` has no close of its own; without
    this its connections outlive the app.
    """
    await sio.shutdown()
    manager = sio.manager
    listener = getattr(manager, "thread", None)
    if isinstance(listener, asyncio.Task):
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    for name in ("pubsub", "redis"):
        connection = getattr(manager, name, None)
        if connection is not None:
            await connection.aclose()


async def principal_of(sio: socketio.AsyncServer, sid: str) -> Principal:
    session = await sio.get_session(sid)
    principal: Principal = session["principal"]
    return principal
