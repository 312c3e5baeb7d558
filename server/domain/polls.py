"""Poll rules without I/O: which choices a kind accepts, and tallies.

Who sees a tally is :mod:`server.services.visibility`'s rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest

__all__ = ["Ballot", "Tally", "check_choice", "tally"]

RATINGS = 5
TEXT_MAX = 500


def check_choice(kind: str, option_count: int, choice: Any) -> int | list[int] | str:
    """The choice normalised for storage, or :class:`BadRequest` naming what is wrong."""
    if kind == "single":
        if isinstance(choice, int) and 0 <= choice < option_count:
            return choice
        raise BadRequest(f"choice: an option index from 0 to {option_count - 1}")
    if kind == "multiple":
        if (
            isinstance(choice, list)
            and choice
            and len(set(choice)) == len(choice)
            and all(isinstance(i, int) and 0 <= i < option_count for i in choice)
        ):
            return sorted(choice)
        raise BadRequest("choice: a non-empty list of distinct option indices")
    if kind == "rating":
        if isinstance(choice, int) and 1 <= choice <= RATINGS:
            return choice
        raise BadRequest("choice: an integer from 1 to 5")
    if isinstance(choice, str) and 1 <= len(choice.strip()) <= TEXT_MAX:
        return choice.strip()
    raise BadRequest(f"choice: a text of 1 to {TEXT_MAX} characters")


@dataclass(frozen=True, slots=True)
class Ballot:
    voter: str
    choice: Any


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts per option (or per rating 1..5), the text answers, and who chose what."""

    total: int
    counts: list[int]
    voters: list[list[str]]
    average: float | None
    answers: list[str]
    answer_voters: list[str]


def tally(kind: str, option_count: int, ballots: Iterable[Ballot]) -> Tally:
    slots = RATINGS if kind == "rating" else option_count
    counts = [0] * slots
    voters: list[list[str]] = [[] for _ in range(slots)]
    answers: list[str] = []
    answer_voters: list[str] = []
    total = 0
    rating_sum = 0
    for ballot in ballots:
        total += 1
        if kind == "text":
            answers.append(ballot.choice)
            answer_voters.append(ballot.voter)
            continue
        picked = ballot.choice if isinstance(ballot.choice, list) else [ballot.choice]
        for value in picked:
            index = value - 1 if kind == "rating" else value
            counts[index] += 1
            voters[index].append(ballot.voter)
        if kind == "rating":
            rating_sum += ballot.choice
    average = round(rating_sum / total, 2) if kind == "rating" and total else None
    return Tally(total, counts, voters, average, answers, answer_voters)
