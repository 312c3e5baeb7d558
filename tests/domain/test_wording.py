from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.domain.wording import local_time, starts_in

SUMMER_MORNING = datetime(2031, 6, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "2031-06-01 06:00 EDT (America/New_York)"),
        ("Asia/Kolkata", "2031-06-01 15:30 IST (Asia/Kolkata)"),
        ("UTC", "2031-06-01 10:00 UTC"),
        # A zone name nobody knows is shown in UTC, not refused.
        ("Mars/Olympus_Mons", "2031-06-01 10:00 UTC"),
    ],
)
def test_a_time_is_shown_on_the_class_wall_clock_with_its_zone(zone: str, shown: str) -> None:
    assert local_time(SUMMER_MORNING, zone) == shown


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (10, "in 1 minute"),
        (9 * 60 + 40, "in 10 minutes"),
        (119 * 60, "in 119 minutes"),
        (24 * 3600, "in 24 hours"),
    ],
)
def test_how_soon_is_worded_in_minutes_then_hours(seconds: float, words: str) -> None:
    assert starts_in(seconds) == words
