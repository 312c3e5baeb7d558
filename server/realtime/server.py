"""The Socket.IO server: token check at connect, the class rooms, and the broadcaster.

Room names: ``class:{id}`` holds every socket in a class; ``class:{id}:hosts``
only its hosts' sockets, for events participants must not see.
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
from ..services.events import Audience, ClassEvent

__all__ = [
    "SocketBroadcaster",
    "class_room",
    "close_socket_server",
    "create_socket_server",
    "hosts_room",
]

log = logging.getLogger("liveclass.realtime")


def class_room(class_id: str) -> str:
    return f"class:{class_id}"


def hosts_room(class_id: str) -> str:
    return f"class:{class_id}:hosts"


def create_socket_server(
    tokens: TokenVerifier,
    metrics: Metrics,
    *,
    cors_origins: list[str],
    redis_url: str | None,
    redis_prefix: str,
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
    )

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            principal = tokens.verify(token if isinstance(token, str) else None)
        except LiveclassError as exc:
            # Socket.IO v4 clients read this as connect_error's err.message / err.data.
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code, "message": exc.message}
            ) from None
        await sio.save_session(sid, {"principal": principal})
        metrics.open_sockets.inc()

    @sio.event
    async def disconnect(sid: str, reason: Any = None) -> None:
        metrics.open_sockets.dec()

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


class SocketBroadcaster:
    """Emits class events to their room through python-socketio (Redis-backed when set)."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def publish(self, event: ClassEvent) -> None:
        room = (
            hosts_room(event.class_id)
            if event.audience is Audience.HOSTS
            else class_room(event.class_id)
        )
        await self._sio.emit(event.name, event.data, room=room)
