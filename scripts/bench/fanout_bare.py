"""A bare python-socketio server speaking the benchmark's protocol, as the Node reference does.

``class:join`` joins the class room, ``chat:send`` broadcasts a ``chat:message``
of the same shape as liveclass's (no database, no access checks), through
liveclass's fan-out fast path (``fast``) or python-socketio's own room emit
(``stock``): the fan-out engine alone, side by side with Node's.  Usage::

    python -m scripts.bench.fanout_bare PORT fast|stock
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import socketio
import uvicorn

from server.metrics import Metrics
from server.realtime.fastpath import install


def create(mode: str) -> socketio.ASGIApp:
    sio = socketio.AsyncServer(async_mode="asgi", logger=False, engineio_logger=False)
    fanout = install(sio, Metrics(), max_unsent_bytes=1 << 20)
    seqs: dict[str, int] = {}

    async def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        await sio.enter_room(sid, f"class:{data['class_id']}")
        return {"ok": True, "snapshot": {"seq": seqs.get(data["class_id"], 0)}}

    async def chat_send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        class_id = data["class_id"]
        seqs[class_id] = seq = seqs.get(class_id, 0) + 1
        message = {
            "id": str(uuid.uuid4()),
            "class_id": class_id,
            "author": {"id": sid[-12:], "name": "Student"},
            "text": data["text"],
            "anonymous": False,
            "created_at": datetime.now(UTC).isoformat(),
        }
        event = {"class_id": class_id, "seq": seq, "message": message}
        if mode == "fast":
            await fanout.emit("chat:message", event, f"class:{class_id}")
        else:
            await sio.emit("chat:message", event, room=f"class:{class_id}")
        return {"ok": True, "message": message}

    sio.on("class:join", join)
    sio.on("chat:send", chat_send)

    async def healthz(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return socketio.ASGIApp(sio, other_asgi_app=healthz)


if __name__ == "__main__":
    port, mode = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        create(mode), host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=False
    )
