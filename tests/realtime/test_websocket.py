"""A direct websocket on the fast path: one task per idle client, and every way its session ends.

Raw Engine.IO v4 clients (the ``websockets`` library) against the gate's bare
Socket.IO server, so what the server does with each packet is in plain view.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support.fanout_gate import GateServer, masked_text_frame, open_stalled_socket
from tests.support.servers import serve_asgi
from tests.support.waiting import wait_until

IDLE_CLIENTS = 20
LIMIT = 1000  # bytes in one engine.io packet, for the size test


@asynccontextmanager
async def served(gate: GateServer, *, compression: bool = False) -> AsyncIterator[str]:
    async with serve_asgi(gate.app, lifespan="off", compression=compression) as url:
        yield url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"


async def open_socket(address: str) -> ClientConnection:
    """An Engine.IO websocket past the Socket.IO connect (no client-side pings: none are sent)."""
    ws = await connect(address, ping_interval=None)
    assert str(await ws.recv()).startswith("0")  # engine.io open
    await ws.send("40")
    assert str(await ws.recv()).startswith("40")  # socket.io connect
    return ws


async def closed(ws: ClientConnection, gate: GateServer) -> None:
    """The server closes the websocket and forgets the engine.io socket."""
    await asyncio.wait_for(ws.wait_closed(), 10)
    await wait_until(lambda: not gate.sio.eio.sockets, within=5, what="the socket is gone")


async def echo(ws: ClientConnection, ack: int, text: str) -> str:
    await ws.send(f'42{ack}["echo","{text}"]')
    while True:
        reply = str(await ws.recv())
        if reply.startswith(f"43{ack}"):
            return reply


# A loop of its own: on the shared one, the session's servers start and end tasks of their own.
@pytest.mark.asyncio(loop_scope="function")
async def test_an_idle_websocket_keeps_one_task_on_the_server() -> None:
    # Stock engine.io keeps four per socket: uvicorn's, a writer, a read and a ping sleep.
    gate = GateServer(ping_interval=60)
    async with served(gate) as address:
        sockets = [await open_socket(address)]  # the first also starts engine.io's monitor
        before = len(asyncio.all_tasks())
        sockets += [await open_socket(address) for _ in range(IDLE_CLIENTS)]
        await asyncio.sleep(0.1)
        assert len(asyncio.all_tasks()) - before == IDLE_CLIENTS
        for ws in sockets:
            await ws.close()


async def test_pings_go_out_on_schedule_and_pongs_keep_the_socket() -> None:
    gate = GateServer(ping_interval=0.3)
    async with served(gate) as address:
        ws = await open_socket(address)
        for _ in range(3):
            assert await asyncio.wait_for(ws.recv(), 2) == "2"  # engine.io ping
            await ws.send("3")  # pong
        assert await echo(ws, 1, "still here") == '431["still here"]'
        await ws.close()


async def test_a_client_that_stops_answering_pings_is_closed() -> None:
    gate = GateServer(ping_interval=0.3)  # ping timeout 2 s
    async with served(gate) as address:
        ws = await open_socket(address)
        assert await asyncio.wait_for(ws.recv(), 2) == "2"
        # No pong: engine.io's ping check closes the socket, and with it the websocket.
        await closed(ws, gate)


async def test_a_packet_type_no_client_sends_is_ignored() -> None:
    gate = GateServer(ping_interval=60)
    async with served(gate) as address:
        ws = await open_socket(address)
        await ws.send("6")  # noop, a server-only packet
        assert await echo(ws, 1, "after the noop") == '431["after the noop"]'
        await ws.close()


async def test_a_client_that_stopped_reading_and_answering_pings_is_cut_off() -> None:
    # Under the unsent-bytes limit, but past the transport's high-water mark: uvicorn
    # holds its sends (a closing handshake too) until the client reads, which it never will.
    gate = GateServer(ping_interval=0.3, max_unsent_bytes=64 << 20)
    async with serve_asgi(gate.app, lifespan="off") as url:
        stalled = await open_stalled_socket(url)
        try:
            await wait_until(
                lambda: gate.sio.manager.rooms.get("/", {}).get("all"), within=5, what="in the room"
            )
            [socket] = gate.sio.eio.sockets.values()
            loop = asyncio.get_running_loop()
            blast = '42["blast",{"count":3000,"size":1000,"pause_every":0}]'
            await loop.sock_sendall(stalled, masked_text_frame(blast))
            await wait_until(
                lambda: socket.frames is not None and not socket.frames.protocol.writable.is_set(),
                within=10,
                what="writes paused by uvicorn",
            )
            await wait_until(lambda: not gate.sio.eio.sockets, within=15, what="the socket is gone")
        finally:
            stalled.close()


@pytest.mark.parametrize(
    "packet",
    ["not a packet", '42["echo","' + "x" * LIMIT + '"]'],
    ids=["malformed", "over the size limit"],
)
async def test_a_bad_engineio_packet_closes_the_connection(packet: str) -> None:
    gate = GateServer(ping_interval=60)
    gate.sio.eio.max_http_buffer_size = LIMIT
    async with served(gate) as address:
        ws = await open_socket(address)
        await ws.send(packet)
        await closed(ws, gate)


async def test_closing_the_engineio_socket_closes_the_websocket() -> None:
    gate = GateServer(ping_interval=60)
    async with served(gate) as address:
        ws = await open_socket(address)
        [eio_sid] = gate.sio.eio.sockets
        await gate.sio.eio.disconnect(eio_sid)
        assert await asyncio.wait_for(ws.recv(), 5) == "1"  # engine.io close, then the frame
        await closed(ws, gate)


async def test_a_compressed_websocket_keeps_engineio_handler_and_gets_everything() -> None:
    gate = GateServer(ping_interval=0.3)
    async with served(gate, compression=True) as address:
        ws = await open_socket(address)
        assert ws.protocol.extensions  # permessage-deflate was agreed
        assert await asyncio.wait_for(ws.recv(), 2) == "2"  # pinged
        await ws.send("3")
        assert await echo(ws, 1, "compressed") == '431["compressed"]'
        await ws.send('422["final"]')
        replies = {str(await asyncio.wait_for(ws.recv(), 2)) for _ in range(2)}
        assert replies == {'42["final",{}]', '432[{"sent":true}]'}
        assert gate.deliveries("frame") == 0  # the broadcast went through engine.io's queue
        await ws.close()
