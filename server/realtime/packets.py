"""Socket.IO packets whose size and nesting are bounded before their JSON is parsed.

python-socketio parses every incoming event with the standard ``json`` module,
which recurses once per nesting level: a payload nested a few thousand levels
deep raises ``RecursionError`` inside the transport and the caller never gets
an ack.  :func:`bounded_packet_class` checks an event's size and depth first;
an event over either limit is not parsed but turned into the reserved event
:data:`REFUSED_EVENT`, which the handlers answer with ``bad_request`` saying
why, so the socket stays connected and usable.

Packets are written with orjson (a class snapshot's JSON in a fraction of the
standard library's time) and read with the standard library, whose parsing
the checks below are written against.

Two limits apply, in this order:

- the transport's (:data:`TRANSPORT_MAX_BYTES`, engineio's
  ``max_http_buffer_size``): a message larger than that is dropped by
  engineio, which closes the connection;
- the application's (``LIVECLASS_SOCKET_MAX_EVENT_BYTES`` and
  :data:`MAX_DEPTH`), well below it: answered ``bad_request``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from socketio import packet

__all__ = [
    "MAX_DEPTH",
    "REFUSED_EVENT",
    "TRANSPORT_MAX_BYTES",
    "JsonOnly",
    "PacketJson",
    "bounded_packet_class",
    "refusal",
]

# The hard limit: engineio closes a connection whose message is larger.
TRANSPORT_MAX_BYTES = 1_048_576
# Levels of arrays and objects in an event's payload (the event's own array not counted).
MAX_DEPTH = 32
REFUSED_EVENT = "liveclass:refused"

# Strings (skipped whole, escapes included) and the brackets outside them.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class JsonOnly(dict[str, Any]):
    """An ack built from JSON types only (``str``, numbers, ``bool``, ``None``, lists,
    dicts): the packet encodes it without walking it for binary attachments, which
    python-socketio otherwise does for every packet (for a class snapshot, as long as
    its ``json.dumps``)."""


class PacketJson:
    """The ``json`` module of :func:`bounded_packet_class`'s packets."""

    @staticmethod
    def dumps(data: Any, **options: Any) -> str:
        # Compact like python-socketio's own (``separators=(",", ":")``); UTF-8 rather than
        # ``\u`` escapes, as Node's ``JSON.stringify``.
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # what orjson refuses (integers over 64 bits): as before
            return json.dumps(data, **options)

    loads = staticmethod(json.loads)


def refusal(text: str, *, max_bytes: int, max_depth: int) -> str | None:
    """Why an encoded packet must not be parsed, or ``None`` when it may be."""
    if len(text) > max_bytes or (len(text) * 4 > max_bytes and len(text.encode()) > max_bytes):
        return f"the event is larger than {max_bytes} bytes"
    # The packet's own event array is one level above the payload.
    if text.count("[") + text.count("{") <= max_depth + 1:
        return None
    depth = 0
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > max_depth + 1:
                return f"the payload is nested more than {max_depth} levels deep"
        elif bracket in ("]", "}"):
            depth -= 1
    return None


def bounded_packet_class(max_bytes: int, max_depth: int = MAX_DEPTH) -> type[packet.Packet]:
    """A packet class for ``AsyncServer(serializer=...)`` that refuses oversized events."""

    class BoundedPacket(packet.Packet):  # type: ignore[misc]
        json = PacketJson

        @classmethod
        def data_is_binary(cls, data: Any) -> bool:
            # A packet's data is the list of its arguments; an ack's is ``[answer]``.
            if isinstance(data, list) and len(data) == 1 and type(data[0]) is JsonOnly:
                return False
            found: bool = super().data_is_binary(data)
            return found

        def decode(self, encoded_packet: Any) -> int:
            if not isinstance(encoded_packet, str):
                count: int = super().decode(encoded_packet)
                return count
            reason = refusal(encoded_packet, max_bytes=max_bytes, max_depth=max_depth)
            if reason is None:
                count = super().decode(encoded_packet)
                return count
            # Read only the header (type, namespace, ack id): the JSON starts at the first
            # bracket, since an event's data is an array and a connect's auth an object.
            starts = [i for i in (encoded_packet.find("["), encoded_packet.find("{")) if i >= 0]
            count = super().decode(encoded_packet[: min(starts, default=len(encoded_packet))])
            if self.packet_type in (packet.EVENT, packet.BINARY_EVENT):
                self.data = [REFUSED_EVENT, reason]
            return count

    return BoundedPacket
