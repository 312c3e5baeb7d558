"""How times are worded for people: in notifications, reminders and e-mail."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["local_time", "starts_in"]


def local_time(moment: datetime, timezone: str) -> str:
    """``2031-06-01 06:00 EDT (America/New_York)``: the wall clock of the class's time zone,
    its abbreviation, and its name (abbreviations alone are ambiguous); ``... 10:00 UTC``."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    local = moment.astimezone(zone)
    shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return shown if timezone == local.tzname() else f"{shown} ({timezone})"


def starts_in(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"in {hours} hours"
