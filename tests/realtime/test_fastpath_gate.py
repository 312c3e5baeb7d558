"""The gate on the fan-out fast path (frame once, write to all), with the official Node client.

It reaches into python-engineio, python-socketio and uvicorn internals (pinned
exactly in pyproject); this suite must pass on any upgrade of them: every
client gets every broadcast exactly once and in order, with the stock path's
frames (messages to one socket, binary events) in their place, across a
polling -> websocket upgrade mid-stream, with acks, idle pings, and a
server-side disconnect.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from server.realtime import fastpath
from tests.support.fanout_gate import BINARY_EVERY, DIRECT_EVERY, GateServer
from tests.support.node import run_node_script
from tests.support.servers import serve_asgi

CLIENTS = 24  # a third each: websocket only, polling then upgrade, polling only
COUNT = 600


async def run_gate(gate: GateServer) -> dict[str, Any]:
    async with serve_asgi(gate.app, lifespan="off") as url:
        config = {
            "url": url,
            "clients": CLIENTS,
            "count": COUNT,
            "size": 100,
            "pauseEvery": 40,
            "idleMs": 3500,  # three ping intervals of the gate server (1 s)
            "directEvery": DIRECT_EVERY,
            "binaryEvery": BINARY_EVERY,
        }
        summary: dict[str, Any] = await run_node_script("fanout_gate.mjs", config, within=150)
        return summary


def assert_all_delivered_in_order(summary: dict[str, Any]) -> None:
    third = CLIENTS // 3
    assert summary["problems"] == []
    assert summary["clients"] == {"websocket": third, "upgrade": third, "polling": third}
    assert summary["inOrder"] == summary["clients"]
    assert summary["transports"] == {
        "websocket": ["websocket"],
        "upgrade": ["websocket"],
        "polling": ["polling"],
    }
    assert summary["acked"] is True
    assert summary["idleDisconnects"] == 0
    assert summary["kickReasons"] == ["io server disconnect"]


async def test_every_client_gets_every_broadcast_once_in_order() -> None:
    gate = GateServer()
    assert gate.fanout.fast
    summary = await run_gate(gate)
    assert_all_delivered_in_order(summary)
    # Both paths carried broadcasts: frames to websocket sockets, the queue to
    # polling ones (and to sockets with stock frames pending).
    assert gate.deliveries("frame") > COUNT * CLIENTS / 3
    assert gate.deliveries("queue") >= COUNT * CLIENTS / 3


async def test_missing_internals_fall_back_to_the_stock_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As if uvicorn no longer had the websocket protocol class the fast path writes through.
    monkeypatch.setattr(fastpath, "PROTOCOL_CLASS", None)
    with caplog.at_level(logging.WARNING, logger="liveclass.fanout"):
        gate = GateServer()
    assert not gate.fanout.fast
    warnings = [r.getMessage() for r in caplog.records if r.name == "liveclass.fanout"]
    assert len(warnings) == 1
    assert "uvicorn WebSocketsSansIOProtocol" in warnings[0]
    summary = await run_gate(gate)
    assert_all_delivered_in_order(summary)
    assert gate.deliveries("frame") == 0
