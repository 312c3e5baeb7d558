"""Pure rules: poll choices and tallies, redaction, and the coalescer's timing."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from server.domain.polls import Ballot, check_choice, tally
from server.errors import BadRequest
from server.realtime.coalesce import Coalescer
from server.services.visibility import participant_event, sees_tally
from tests.support.waiting import wait_until


@pytest.mark.parametrize(
    ("kind", "choice", "stored"),
    [
        ("single", 1, 1),
        ("multiple", [2, 0], [0, 2]),
        ("rating", 5, 5),
        ("text", " ok ", "ok"),
    ],
)
def test_valid_choices(kind: str, choice: Any, stored: Any) -> None:
    assert check_choice(kind, 3, choice) == stored


@pytest.mark.parametrize(
    ("kind", "choice"),
    [
        ("single", 3),
        ("single", -1),
        ("single", [0]),
        ("multiple", []),
        ("multiple", [1, 1]),
        ("multiple", [5]),
        ("rating", 0),
        ("rating", 6),
        ("rating", "3"),
        ("text", "  "),
        ("text", "x" * 501),
        ("text", 3),
    ],
)
def test_invalid_choices(kind: str, choice: Any) -> None:
    with pytest.raises(BadRequest):
        check_choice(kind, 3, choice)


def test_tallies() -> None:
    multiple = tally("multiple", 3, [Ballot("a", [0, 2]), Ballot("b", [2])])
    assert (multiple.total, multiple.counts, multiple.voters) == (
        2,
        [1, 0, 2],
        [["a"], [], ["a", "b"]],
    )
    rating = tally("rating", 0, [Ballot("a", 4), Ballot("b", 5), Ballot("c", 5)])
    assert (rating.counts, rating.average) == ([0, 0, 0, 1, 2], 4.67)
    assert tally("rating", 0, []).average is None
    text = tally("text", 0, [Ballot("a", "yes")])
    assert (text.answers, text.answer_voters) == (["yes"], ["a"])


def test_results_visibility() -> None:
    assert sees_tally(is_host=False, results="live", status="open")
    assert not sees_tally(is_host=False, results="on_close", status="open")
    assert sees_tally(is_host=False, results="on_close", status="closed")
    assert not sees_tally(is_host=False, results="hosts", status="closed")
    assert sees_tally(is_host=True, results="hosts", status="open")


def test_participant_view() -> None:
    chat = {"class_id": "c", "seq": 1, "message": {"id": "m"}}
    assert participant_event("chat:message", chat) is chat
    hidden = {
        "question": {
            "id": "q",
            "text": "t",
            "status": "hidden",
            "author": None,
            "answer": "a",
            "votes": 3,
            "voted": False,
        }
    }
    assert participant_event("question:updated", hidden)["question"]["text"] == ""
    closed = {"poll": {"results": "hosts", "status": "closed"}, "results": {"total": 1}}
    assert participant_event("poll:closed", closed)["results"] is None
    shown = {
        "poll": {"results": "live", "status": "closed"},
        "results": {"total": 1, "voters": [[]]},
    }
    assert participant_event("poll:closed", shown)["results"] == {"total": 1}


async def test_coalescer_rate_and_final_state() -> None:
    state = {"n": 0}
    flushes: list[tuple[float, int, int]] = []
    loop = asyncio.get_running_loop()

    async def flush(class_id: str, items: list[int]) -> None:
        flushes.append((loop.time(), len(items), state["n"]))

    batch: Coalescer[int] = Coalescer(flush, interval=0.1)
    began = loop.time()
    while loop.time() - began < 0.5:  # a steady stream for five intervals: the pace under test
        state["n"] += 1
        batch.add("c", state["n"])
        await asyncio.sleep(0.005)
    await wait_until(
        lambda: sum(n for _, n, _ in flushes) == state["n"], within=5, what="every item flushed"
    )
    assert flushes[-1][2] == state["n"]  # the last batch saw the final state
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(flushes)]
    assert min(gaps) >= 0.095 and len(flushes) <= 7


async def test_coalescer_survives_a_failing_flush() -> None:
    calls: list[list[str]] = []

    async def flush(class_id: str, items: list[str]) -> None:
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("boom")

    batch: Coalescer[str] = Coalescer(flush, interval=0.01)
    batch.add("c", "a")
    await wait_until(lambda: len(calls) == 1, within=5, what="the failing flush")
    batch.add("c", "b")
    await wait_until(lambda: len(calls) == 2, within=5, what="the next flush")
    assert calls == [["a"], ["b"]]
    await batch.close()
