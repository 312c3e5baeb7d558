"""What an idle socket keeps alive on the server once its messages are sent.

engine.io's websocket writer holds the last packet it sent until the next one
(an idle socket's next ping is ``ping_interval`` later); with liveclass the
last packet is usually the ``class:join`` ack carrying the whole snapshot.
On the fast path a websocket opened directly writes each packet as it is
put and keeps none; sockets with engine.io's writer (upgraded, polling) get
packets that let go of their content once encoded (``QueuedPacket``).
"""

from __future__ import annotations

import gc
import json

from engineio import packet as eio_packet
from websockets.asyncio.client import connect

from tests.support.fanout_gate import GateServer
from tests.support.servers import serve_asgi

BIG = "snapshot-" + "x" * 65536


def packets_carrying(text: str) -> int:
    return sum(
        1
        for o in gc.get_objects()
        if isinstance(o, eio_packet.Packet) and isinstance(o.data, str) and text in o.data
    )


async def test_a_sent_ack_is_not_kept_alive_by_the_idle_socket() -> None:
    gate = GateServer(ping_interval=60)  # no ping replaces the last packet during the test

    async def snapshot(sid: str, data: object = None) -> str:
        return BIG

    gate.sio.on("snapshot", snapshot)
    async with serve_asgi(gate.app, lifespan="off") as url:
        # A raw Engine.IO v4 client: no client-side engine.io packets in this process.
        address = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with connect(address, max_size=None) as ws:
            assert str(await ws.recv()).startswith("0")  # engine.io open
            await ws.send("40")
            assert str(await ws.recv()).startswith("40")  # socket.io connect
            await ws.send('421["snapshot"]')
            assert json.loads(str(await ws.recv())[3:]) == [BIG]  # ack 1
            # The client has the ack, so the server's writer has encoded and written it.
            assert packets_carrying(BIG) == 0
