"""Arithmetic of the class report: peak presence, quiz answers, rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .attendance import Interval, merge

__all__ = ["is_correct", "peak_online", "per_minute"]


def peak_online(people: Mapping[Any, Iterable[Interval]], *, now: datetime) -> int:
    """Most people present at once; one person on two devices counts once."""
    edges: list[tuple[datetime, int]] = []
    for intervals in people.values():
        for start, end in merge(intervals, now=now):
            if end > start:
                edges += [(start, 1), (end, -1)]
    # At equal times leaving sorts first: someone leaving as another joins is not two.
    peak = current = 0
    for _, step in sorted(edges):
        current += step
        peak = max(peak, current)
    return peak


def is_correct(kind: str, correct: list[int] | None, choice: Any) -> bool:
    """Whether a quiz answer is right: a single choice among the correct options, or a
    multiple choice naming exactly the correct ones."""
    if correct is None:
        return False
    if kind == "single":
        return isinstance(choice, int) and choice in correct
    if kind == "multiple":
        return isinstance(choice, list) and sorted(choice) == sorted(correct)
    return False


def per_minute(count: int, seconds: float) -> float:
    return round(count / (seconds / 60), 2) if seconds > 0 else 0.0
