from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.attendance import AttendanceStatus, Interval, grade, merge, summarize

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_overlapping_intervals_from_two_devices_count_once() -> None:
    phone = Interval(at(0), at(30))
    laptop = Interval(at(10), at(40))
    summary = summarize([phone, laptop], window=(at(0), at(60)), now=at(90))
    assert summary.attended_seconds == 40 * 60
    assert summary.join_count == 1
    assert summary.first_join == at(0)
    assert summary.last_leave == at(40)


def test_a_reconnect_after_a_gap_is_a_second_join() -> None:
    summary = summarize(
        [Interval(at(0), at(10)), Interval(at(20), at(30))], window=(at(0), at(60)), now=at(60)
    )
    assert summary.attended_seconds == 20 * 60
    assert summary.join_count == 2


def test_touching_intervals_merge() -> None:
    assert merge([Interval(at(0), at(10)), Interval(at(10), at(20))], now=at(30)) == [
        (at(0), at(20))
    ]


def test_open_interval_counts_until_now_and_has_no_last_leave() -> None:
    summary = summarize([Interval(at(5), None)], window=(at(0), at(60)), now=at(15))
    assert summary.attended_seconds == 10 * 60
    assert summary.last_leave is None


def test_time_outside_the_class_window_does_not_count() -> None:
    summary = summarize([Interval(at(-30), at(90))], window=(at(0), at(60)), now=at(120))
    assert summary.attended_seconds == 60 * 60
    assert summary.sessions == ((at(0), at(60)),)


def test_never_joined_is_absent() -> None:
    summary = summarize([], window=(at(0), at(60)), now=at(60))
    assert summary.join_count == 0 and summary.first_join is None
    assert grade(0, 3600, present_percent=75) == (0.0, AttendanceStatus.ABSENT)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (2700, (75.0, AttendanceStatus.PRESENT)),
        (2699, (74.9, AttendanceStatus.PARTIAL)),  # 74.97%: shown rounded down, not present
        (2600, (72.2, AttendanceStatus.PARTIAL)),
        (1, (0.0, AttendanceStatus.PARTIAL)),
        (7200, (100.0, AttendanceStatus.PRESENT)),
    ],
)
def test_grading_against_the_scheduled_duration(
    seconds: int, expected: tuple[float, AttendanceStatus]
) -> None:
    assert grade(seconds, 3600, present_percent=75) == expected


def test_threshold_is_configurable() -> None:
    assert grade(1800, 3600, present_percent=50)[1] is AttendanceStatus.PRESENT
    assert grade(1800, 3600, present_percent=90)[1] is AttendanceStatus.PARTIAL


def test_a_visit_outside_the_class_run_is_not_a_join() -> None:
    summary = summarize(
        [Interval(at(-3000), at(-2990)), Interval(at(10), at(20))],
        window=(at(0), at(60)),
        now=at(60),
    )
    assert (summary.join_count, summary.first_join, summary.attended_seconds) == (1, at(10), 600)
