"""hypothesis over every client event: malformed payloads are acked, never ``internal``.

For each event of the protocol, and for event names it does not have, the
fuzzing socket sends generated payloads: fields of the wrong type or missing,
huge and unicode strings, control characters, nested structures, non-object
payloads and several arguments.  Every call must be acknowledged, never with
``internal``; a refused call must leave the class's event log (``seq``)
unchanged; the bystander in the same class stays connected and still receives
what the host sends afterwards.

The budget is ``LIVECLASS_TEST_SOCKET_FUZZ_EXAMPLES`` calls per role (default
150); raise it for a longer run by hand.  hypothesis drives the calls from a
worker thread, since the clients and the server live on this test's event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.db.tables import live_classes
from tests.support.platform import Platform
from tests.support.sockets import Client, connected, live_class

T = TypeVar("T")

# hypothesis warns when the global ``random`` state moves while it draws, taking
# it for a strategy using ``random``.  Ours do not; the server in this process
# does, from another thread (uvicorn's websocket pings, retry jitter).
IN_PROCESS_RANDOM = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

EXAMPLES = int(os.environ.get("LIVECLASS_TEST_SOCKET_FUZZ_EXAMPLES", "150"))

# The client events of the protocol and their payload fields; ``VALID`` below gives
# each field values the server accepts, which the fuzzer then mutates.
EVENTS: dict[str, list[str]] = {
    "class:join": ["class_id"],
    "class:leave": ["class_id"],
    "class:resync": ["class_id", "after_seq"],
    "chat:send": ["class_id", "text", "client_id"],
    "chat:delete": ["class_id", "message_id"],
    "question:ask": ["class_id", "text", "anonymous"],
    "question:vote": ["class_id", "question_id", "up"],
    "question:answer": ["class_id", "question_id", "text"],
    "question:moderate": ["class_id", "question_id", "action"],
    "poll:create": ["class_id", "question", "kind", "options", "anonymous", "results", "correct"],
    "poll:vote": ["class_id", "poll_id", "choice"],
    "poll:close": ["class_id", "poll_id"],
    "hand:raise": ["class_id"],
    "hand:lower": ["class_id", "user_id"],
    "reaction:send": ["class_id", "emoji"],
    "resource:share": ["class_id", "kind", "title", "url"],
    "participant:remove": ["class_id", "user_id", "reason"],
    "presence:list": ["class_id", "offset", "limit"],
}
# Names the Socket.IO client itself reserves.
RESERVED = {"connect", "connect_error", "disconnect", "disconnecting", "message"}

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F)
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.one_of(CONTROL, st.characters()), max_size=20),
    st.sampled_from(["", " ", "\x00", "a\tb\nc", "é" * 300, "😀" * 50, "x" * 70_000]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 2**200, 1e308, -0.0]),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
DEEP = st.integers(min_value=1, max_value=200).map(lambda n: _nest(n))
WORDS = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF), min_size=1, max_size=30
)
VALID: dict[str, st.SearchStrategy[Any]] = {
    "text": WORDS,
    "question": WORDS,
    "title": WORDS,
    "reason": WORDS,
    "client_id": WORDS,
    "user_id": st.sampled_from(["student-1", "nobody"]),
    "kind": st.sampled_from(["single", "multiple", "rating", "text", "link", "slides"]),
    "action": st.sampled_from(["hide", "unhide", "pin", "unpin", "reopen"]),
    "emoji": st.sampled_from(["👍", "🎉", "🙋"]),
    "results": st.sampled_from(["live", "on_close", "hosts"]),
    "url": st.just("https://example.org/a"),
    "up": st.booleans(),
    "anonymous": st.booleans(),
    "options": st.lists(WORDS, min_size=2, max_size=4),
    "correct": st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True),
    "choice": st.one_of(st.integers(0, 5), st.lists(st.integers(0, 3), max_size=3), WORDS),
    "after_seq": st.integers(0, 10),
    "offset": st.integers(0, 10),
    "limit": st.integers(1, 500),
}


def _nest(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def valid_object(event: str, real: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    fields = EVENTS[event]
    return st.fixed_dictionaries(
        {name: st.just(real[name]) if name in real else VALID[name] for name in fields}
    )


def mutated(payload: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """The payload with one field changed, removed or added (or as it is)."""
    how = data.draw(st.sampled_from(["keep", "keep", "replace", "remove", "add"]))
    if how == "keep" or (how != "add" and not payload):
        return payload
    if how == "add":
        return {**payload, data.draw(st.text(max_size=12)): data.draw(JSON)}
    name = data.draw(st.sampled_from(sorted(payload)))
    if how == "remove":
        return {k: v for k, v in payload.items() if k != name}
    return {**payload, name: data.draw(st.one_of(TEXT, JSON, DEEP))}


def payloads(event: str, real: dict[str, str]) -> st.SearchStrategy[tuple[Any, ...]]:
    """The arguments of one call: mostly one object near a valid one, sometimes not an object."""
    near = st.builds(mutated, valid_object(event, real), st.data()) if event in EVENTS else JSON
    shapes: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
        "near": near.map(lambda payload: (payload,)),
        "json": JSON.map(lambda payload: (payload,)),
        "two": st.tuples(near, JSON),
        "none": st.just(()),
    }
    # Two calls in three carry an object near a valid one.
    return st.sampled_from(["near"] * 6 + ["json", "two", "none"]).flatmap(shapes.__getitem__)


def calls(real: dict[str, str]) -> st.SearchStrategy[tuple[str, tuple[Any, ...]]]:
    """About one call in twenty names an event the protocol does not have."""
    unknown = st.text(min_size=1, max_size=30).filter(
        lambda name: name not in EVENTS and name not in RESERVED
    )
    names = st.sampled_from([*sorted(EVENTS), ""]).flatmap(
        lambda name: st.just(name) if name else unknown
    )
    return names.flatmap(lambda event: st.tuples(st.just(event), payloads(event, real)))


async def scene(platform: Platform, host: Client) -> dict[str, str]:
    """A live class with a message, a question and a poll the fuzzer may name."""
    class_id = await live_class(platform)
    await host.join(class_id)
    message = await host.ok("chat:send", {"class_id": class_id, "text": "hello"})
    question = await host.ok("question:ask", {"class_id": class_id, "text": "why?"})
    poll = await host.ok("poll:create", {"class_id": class_id, "question": "Q", "kind": "rating"})
    return {
        "class_id": class_id,
        "message_id": message["message"]["id"],
        "question_id": question["question"]["id"],
        "poll_id": poll["poll"]["id"],
    }


@pytest.mark.slow
@IN_PROCESS_RANDOM
@pytest.mark.parametrize("role", ["student", "mentor"])
async def test_every_event_acks_malformed_payloads_without_harm(
    platform: Platform, role: str
) -> None:
    fuzzer_person = platform.mentor if role == "mentor" else platform.students[0]
    host_person = platform.admin if role == "mentor" else platform.mentor
    db = platform.server.state.ctx.db
    loop = asyncio.get_running_loop()
    async with connected(platform.server.url, host_person, fuzzer_person, platform.students[1]) as (
        host,
        fuzzer,
        bystander,
    ):
        real = await scene(platform, host)
        class_id = real["class_id"]
        await fuzzer.join(class_id)
        await bystander.join(class_id)

        async def seq() -> int:
            async with db.read() as conn:
                found = await conn.scalar(
                    select(live_classes.c.last_seq).where(live_classes.c.id == class_id)
                )
            return int(found or 0)

        def wait(coroutine: Coroutine[Any, Any, T]) -> T:
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

        seen: dict[str, int] = {}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(call=calls(real))
        def one_call(call: tuple[str, tuple[Any, ...]]) -> None:
            event, args = call
            before = wait(seq())
            payload: Any = args[0] if len(args) == 1 else (args or None)
            ack = wait(fuzzer.call(event, payload))
            assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, ack)
            if not ack["ok"]:
                code = ack["error"]["code"]
                assert code != "internal", (event, args, ack)
                assert ack["error"]["message"], ack
                assert wait(seq()) == before, ("a refused call changed the class", event, ack)
                seen[code] = seen.get(code, 0) + 1
            else:
                seen["ok"] = seen.get("ok", 0) + 1
            assert fuzzer.sio.connected and bystander.sio.connected, (event, args)

        await asyncio.to_thread(one_call)
        print(f"socket fuzz as {role}: {sum(seen.values())} calls, acks {seen}")
        assert seen.get("bad_request", 0) > 0

        await host.ok("chat:send", {"class_id": class_id, "text": "still listening?"})
        await bystander.wait_for(
            "chat:message", lambda m: m["message"]["text"] == "still listening?"
        )
