"""An ack marked ``JsonOnly`` is encoded as python-socketio encodes it, minus the binary walk."""

from __future__ import annotations

from typing import Any

from socketio import packet

from server.realtime.packets import JsonOnly, bounded_packet_class

Packet = bounded_packet_class(max_bytes=1_000_000)

ANSWER: dict[str, Any] = {
    "ok": True,
    "snapshot": {"seq": 7, "polls": [{"id": "p1", "results": None}], "name": 'Ann "1"'},
}


def test_a_json_only_ack_is_the_same_text_as_a_stock_one() -> None:
    stock = packet.Packet(packet.ACK, namespace="/", id=3, data=[ANSWER]).encode()
    marked = Packet(packet.ACK, namespace="/", id=3, data=[JsonOnly(ANSWER)])
    assert marked.packet_type == packet.ACK
    expected = '33[{"ok":true,"snapshot":{"seq":7,"polls":[{"id":"p1","results":null}],'
    assert marked.encode() == stock == expected + '"name":"Ann \\"1\\""}}]'


def test_unmarked_data_is_still_searched_for_attachments() -> None:
    binary = Packet(packet.ACK, namespace="/", id=3, data=[{"file": b"\x00\x01"}])
    assert binary.packet_type == packet.BINARY_ACK
    assert binary.encode() == ['61-3[{"file":{"_placeholder":true,"num":0}}]', b"\x00\x01"]


def test_text_is_sent_as_utf8_like_nodes_json_stringify() -> None:
    text = Packet(packet.EVENT, namespace="/", data=["chat:message", {"text": "Grüße 👋"}]).encode()
    assert text == '2["chat:message",{"text":"Grüße 👋"}]'
    decoded = Packet(encoded_packet=text)
    assert decoded.data == ["chat:message", {"text": "Grüße 👋"}]


def test_what_orjson_refuses_is_encoded_as_before() -> None:
    huge = 2**70  # over 64 bits
    text = Packet(packet.ACK, namespace="/", id=1, data=[JsonOnly({"n": huge})]).encode()
    assert text == f'31[{{"n":{huge}}}]'
