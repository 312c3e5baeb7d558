"""Expanding a series' RFC 5545 rule into class times, in the class's own time zone.

The rule is expanded from the first class's start as local wall-clock time,
so a 18:00 class stays at 18:00 local across a daylight-saving change (its
UTC time moves by the hour).  Accepted: ``FREQ=DAILY`` or ``FREQ=WEEKLY``, with
``COUNT`` or ``UNTIL`` (UTC, ``...Z``), optionally ``INTERVAL``, ``BYDAY`` and
``WKST``; at most :data:`MAX_OCCURRENCES` classes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

__all__ = ["MAX_OCCURRENCES", "expand"]

MAX_OCCURRENCES = 100
_ALLOWED = {"FREQ", "COUNT", "UNTIL", "INTERVAL", "BYDAY", "WKST"}


def expand(
    rule: str, first_start: datetime, duration: timedelta, timezone: str
) -> list[tuple[datetime, datetime]]:
    """``(start, end)`` of every occurrence, in UTC; ``ValueError`` says what is wrong."""
    text = rule.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise ValueError(f"not a KEY=VALUE part: {item!r}")
        parts[key.upper()] = value.upper()
    unknown = set(parts) - _ALLOWED
    if unknown:
        raise ValueError(f"unsupported rule parts: {', '.join(sorted(unknown))}")
    if parts.get("FREQ") not in ("DAILY", "WEEKLY"):
        raise ValueError("FREQ must be DAILY or WEEKLY")
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise ValueError("give COUNT or UNTIL (one of them)")
    if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
        raise ValueError("UNTIL must be a UTC time such as 20310601T000000Z")
    zone = ZoneInfo(timezone)
    local_start = first_start.astimezone(zone)
    try:
        occurrences = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=local_start)
        starts = []
        for moment in occurrences:
            starts.append(moment)
            if len(starts) > MAX_OCCURRENCES:
                raise ValueError(f"the rule gives more than {MAX_OCCURRENCES} classes")
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if not starts:
        raise ValueError("the rule gives no class")
    utc = ZoneInfo("UTC")
    # Wall-clock arithmetic: the local time is kept, its UTC offset follows the date.
    return [
        (
            s.replace(tzinfo=zone).astimezone(utc),
            (s.replace(tzinfo=zone) + duration).astimezone(utc),
        )
        for s in starts
    ]
