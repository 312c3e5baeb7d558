"""Attendance arithmetic: merge overlapping intervals, clip to the class, grade.

Every source of presence (the join/leave routes, sockets in the class room,
the provider's webhooks) writes intervals; a person on two devices or a
reconnect produces overlapping ones.  Merging them first means overlapping
time is counted once, whatever its sources.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["AttendanceStatus", "Interval", "Summary", "grade", "merge", "summarize"]


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    PARTIAL = "partial"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime | None  # None while still open


@dataclass(frozen=True, slots=True)
class Summary:
    first_join: datetime | None
    last_leave: datetime | None  # None while the person is still in, or never came
    join_count: int
    attended_seconds: int
    # The merged sessions clipped to the window, in order (a timeline's bars).
    sessions: tuple[tuple[datetime, datetime], ...] = ()


def merge(intervals: Iterable[Interval], *, now: datetime) -> list[tuple[datetime, datetime]]:
    """Disjoint, sorted spans covering the same time (open intervals end ``now``)."""
    spans = sorted((i.start, i.end or now) for i in intervals)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if end < start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def summarize(
    intervals: Iterable[Interval], *, window: tuple[datetime, datetime], now: datetime
) -> Summary:
    """One person's attendance; only time inside ``window`` (the class's run) counts.

    Spans wholly outside the window (a visit days before the class) are not
    joins of this run and are left out of every figure.
    """
    items = list(intervals)
    low, high = window
    spans = [(s, e) for s, e in merge(items, now=now) if e > low and s < high]
    if not spans:
        return Summary(None, None, 0, 0)
    still_in = any(i.end is None for i in items)
    clipped = tuple((max(start, low), min(end, high)) for start, end in spans)
    seconds = sum((end - start).total_seconds() for start, end in clipped)
    return Summary(
        first_join=spans[0][0],
        last_leave=None if still_in else spans[-1][1],
        join_count=len(spans),
        attended_seconds=int(seconds),
        sessions=clipped,
    )


def grade(
    attended_seconds: int, scheduled_seconds: int, *, present_percent: float
) -> tuple[float, AttendanceStatus]:
    """``(attended_percent, status)``: percent of the scheduled duration, capped at 100."""
    if scheduled_seconds <= 0:
        percent = 0.0
    else:
        # Rounded down, so a shown 75.0 always means the threshold was really met.
        percent = min(100.0, math.floor(1000 * attended_seconds / scheduled_seconds) / 10)
    if attended_seconds > 0 and percent >= present_percent:
        return percent, AttendanceStatus.PRESENT
    if attended_seconds > 0:
        return percent, AttendanceStatus.PARTIAL
    return percent, AttendanceStatus.ABSENT
