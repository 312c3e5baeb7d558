"""The floor under a room broadcast: one prebuilt frame written to N sockets, nothing else.

A uvloop server (the loop uvicorn runs liveclass on) accepts ``--clients``
loopback TCP connections from a reader process that discards what it gets,
then writes the same WebSocket text frame (``--bytes`` of payload, the size of
a benchmark ``chat:message``) to every connection's transport, ``--rate``
rounds a second for ``--seconds``.  It prints the server's CPU per write
(user + system of this process from /proc, as the fan-out benchmark counts
it), once for the bare ``transport.write`` loop and once with the per-socket
bookkeeping :meth:`server.realtime.fastpath.Fanout.deliver` does (looking
the socket up, checking it is an upgraded, open websocket with nothing
queued, counting unsent bytes).  The first is what any server pays the
kernel per delivery on this machine; the difference is Python's share.
Usage::

    PYTHONPATH=. .venv/bin/python -m scripts.bench.send_floor [--clients 1000] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import cast

import uvloop

from scripts.benchlib import cpu_of
from server.realtime.websocket import ws_frame


class Discard(asyncio.Protocol):
    def data_received(self, data: bytes) -> None:
        pass


class Accepted(asyncio.Protocol):
    def __init__(self, transports: list[asyncio.Transport], expected: int, all_in: asyncio.Event):
        self._transports, self._expected, self._all_in = transports, expected, all_in

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transports.append(cast(asyncio.Transport, transport))  # uvloop's, not a subclass
        if len(self._transports) == self._expected:
            self._all_in.set()


@dataclass
class Recipient:
    """What ``Fanout.deliver`` reads per socket, as plain attributes."""

    transport: asyncio.Transport
    closed: bool = False
    upgraded: bool = True
    upgrading: bool = False
    closing: bool = False
    outstanding: int = 0
    handshake_complete: bool = True
    close_sent: bool = False
    disconnected: bool = False


def bare(transports: list[asyncio.Transport], frame: bytes) -> None:
    for transport in transports:
        transport.write(frame)


def bookkept(sockets: dict[str, Recipient], sids: list[str], frame: bytes, limit: int) -> None:
    for sid in sids:
        r = sockets.get(sid)
        if r is None or r.closed:
            continue
        if (
            r.upgraded
            and not r.upgrading
            and not r.closing
            and r.outstanding == 0
            and r.handshake_complete
            and not r.close_sent
            and not r.disconnected
            and not r.transport.is_closing()
        ):
            r.transport.write(frame)
            if r.transport.get_write_buffer_size() > limit:
                r.transport.abort()


def read_everything(port: int, clients: int) -> None:
    """The reader process: ``clients`` connections that discard what they receive."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for _ in range(clients):
            await loop.create_connection(Discard, "127.0.0.1", port)
        await asyncio.Event().wait()

    uvloop.run(run())


async def measure(clients: int, rate: float, seconds: float, payload: int) -> None:
    loop = asyncio.get_running_loop()
    transports: list[asyncio.Transport] = []
    all_in = asyncio.Event()
    server = await loop.create_server(lambda: Accepted(transports, clients, all_in), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "scripts.bench.send_floor", "--read", str(port), str(clients)
    )
    try:
        await all_in.wait()
        for transport in transports:
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        frame = ws_frame(b"4" + b"2" + b"x" * (payload - 2))
        sockets = {f"sid{i}": Recipient(t) for i, t in enumerate(transports)}
        sids = list(sockets)
        rounds = int(rate * seconds)

        def bare_round() -> None:
            bare(transports, frame)

        def bookkept_round() -> None:
            bookkept(sockets, sids, frame, 1 << 20)

        for name, write_round in (
            ("bare transport.write", bare_round),
            ("+ bookkeeping", bookkept_round),
        ):
            await asyncio.sleep(1)  # let the reader drain the previous variant
            cpu = cpu_of(os.getpid())
            start = time.monotonic()
            for i in range(rounds):
                write_round()
                await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))
            used = cpu_of(os.getpid()) - cpu
            writes = rounds * clients
            print(
                f"| {name} | {clients} x {rate:g}/s | {len(frame)} | {writes:,} "
                f"| {used * 1e6 / writes:.1f} |"
            )
    finally:
        reader.kill()
        await reader.wait()
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--bytes", type=int, default=230, help="payload bytes per frame")
    parser.add_argument(
        "--read", nargs=2, type=int, metavar=("PORT", "CLIENTS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.read:
        read_everything(*args.read)
        return
    load1, load5, _ = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load1:.1f} (1 min) {load5:.1f} (5 min)\n")
    print("| writes | clients x rounds | frame bytes | writes | CPU us/write |")
    print("| --- | --- | --- | --- | --- |")
    uvloop.run(measure(args.clients, args.rate, args.seconds, args.bytes))


if __name__ == "__main__":
    main()
