"""The Socket.IO server: token check at connect, the class rooms, and the broadcaster.

Rooms and event handlers live in :mod:`.hub` and :mod:`.handlers`; the
``disconnect`` handler (open socket count, presence) is registered there.
"""

from __future__ import annotations

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
    max_event_bytes: int,
) -> socketio.AsyncServer:
    # The default (in-process) manager: broadcasts between processes go through
    # the broker's per-class Redis channels, not python-socketio's one channel.
    sio = socketio.AsyncServer(
        async_mode="asgi",
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


async def principal_of(sio: socketio.AsyncServer, sid: str) -> Principal:
    session = await sio.get_session(sid)
    principal: Principal = session["principal"]
    return principal
