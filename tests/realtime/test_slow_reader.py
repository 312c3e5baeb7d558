"""A client that stops reading is disconnected past the unsent-bytes limit; the room goes on."""

from __future__ import annotations

import socketio

from tests.support.fanout_gate import GateServer, open_stalled_socket
from tests.support.servers import serve_asgi
from tests.support.waiting import wait_until

LIMIT = 256 * 1024


async def test_stalled_reader_is_cut_off_and_the_room_goes_on() -> None:
    gate = GateServer(max_unsent_bytes=LIMIT)
    async with serve_asgi(gate.app, lifespan="off") as url:
        stalled = await open_stalled_socket(url)
        reader = socketio.AsyncClient(reconnection=False)
        seen: list[int] = []
        reader.on("seq", lambda data: seen.append(data["i"]))
        try:
            await reader.connect(url, transports=["websocket"], wait_timeout=10)
            await wait_until(
                lambda: len(gate.sio.eio.sockets) == 2, within=30, what="both connected"
            )
            # 8 MB for each client, far past the limit, in bursts of 20 KB: a reader that
            # reads at all (this one shares the server's loop and CPU) stays far below it.
            count, size, burst = 4000, 2000, 10
            assert burst * size * 10 < LIMIT
            started = await reader.call(
                "blast", {"count": count, "size": size, "pause_every": burst}
            )
            assert started["started"]
            await wait_until(lambda: len(seen) == count, within=30, what="every frame read")
            assert seen == list(range(count))
            assert gate.slow_disconnects() == 1
            # The stalled socket is gone, with whatever it had not read.
            await wait_until(
                lambda: len(gate.sio.eio.sockets) == 1, within=30, what="the stalled one cut off"
            )
            assert len(gate.sio.manager.rooms["/"]["all"]) == 1
        finally:
            stalled.close()
            await reader.disconnect()

        # It can come back (the classroom then fills its gap with class:resync).
        again = socketio.AsyncClient(reconnection=False)
        got: list[dict[str, object]] = []
        again.on("final", lambda data: got.append(data))
        await again.connect(url, transports=["websocket"], wait_timeout=10)
        try:
            await again.call("final", {})
            await wait_until(lambda: got == [{}], within=10, what="the final event")
        finally:
            await again.disconnect()
