"""Classes as iCalendar (RFC 5545) events.

* ``UID`` is ``{class_id}@liveclass``: the same event however often it is fetched.
* ``SEQUENCE`` is the class's ``revision``, bumped by every change a calendar
  shows (time, title, description, settings, cancellation).
* A cancelled class stays in the feed with ``STATUS:CANCELLED`` so calendars
  remove or strike it; every other class is ``CONFIRMED``.
* Times are UTC (``DTSTART:...Z``).  The class's own time zone name is in
  ``X-LIVECLASS-TIMEZONE`` and in the last line of ``DESCRIPTION``.
* ``URL`` and ``LOCATION`` are the participants' join link, never the host's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event
from sqlalchemy import RowMapping

__all__ = ["render_calendar", "uid_of"]

PRODID = "-//liveclass//live classes//EN"


def uid_of(class_id: str) -> str:
    return f"{class_id}@liveclass"


def render_calendar(name: str, rows: Sequence[RowMapping], *, stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for row in rows:
        calendar.add_component(_event(row, stamp=stamp))
    ics: bytes = calendar.to_ical()
    return ics


def _event(row: RowMapping, *, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid_of(row["id"]))
    event.add("dtstamp", stamp)
    event.add("created", row["created_at"])
    event.add("last-modified", row["updated_at"])
    event.add("sequence", row["revision"])
    event.add("dtstart", row["scheduled_start"])
    event.add("dtend", row["scheduled_end"])
    event.add("summary", row["title"])
    event.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    lines = [row["description"]] if row["description"] else []
    if row["join_url"]:
        event.add("url", row["join_url"])
        event.add("location", row["join_url"])
        lines.append(f"Join: {row['join_url']}")
    lines.append(f"Time zone: {row['timezone']}")
    event.add("description", "\n\n".join(lines))
    event.add("x-liveclass-timezone", row["timezone"])
    if row["series_id"]:
        event.add("x-liveclass-series", row["series_id"])
    return event
