"""The recording access rules, case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.recording_access import (
    AccessLevel,
    Grant,
    GrantScope,
    Rights,
    Viewer,
    rights_of,
)
from server.domain.roles import ClassRole

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PAST = NOW - timedelta(seconds=1)
LATER = NOW + timedelta(hours=1)

HOST = Viewer("mentor-1", ClassRole.HOST, enrolled=False)
CO_HOST = Viewer("admin", ClassRole.CO_HOST, enrolled=False)
STUDENT = Viewer("student-1", ClassRole.PARTICIPANT, enrolled=True)
REMOVED = Viewer("student-1", ClassRole.PARTICIPANT, enrolled=False)
OUTSIDER = Viewer("student-9", None, enrolled=False)

V, D, E = AccessLevel.VIEW, AccessLevel.DOWNLOAD, AccessLevel.EDIT
PUBLIC, ENROLLED, USER = GrantScope.PUBLIC, GrantScope.ENROLLED, GrantScope.USER

NOTHING = Rights(False, False, False)
VIEW = Rights(True, False, False)
DOWNLOAD = Rights(True, True, False)
EVERYTHING = Rights(True, True, True)

CASES: list[tuple[str, Viewer, list[Grant], Rights]] = [
    ("host without grants", HOST, [], EVERYTHING),
    ("co-host or admin without grants", CO_HOST, [], EVERYTHING),
    ("enrolled student without grants", STUDENT, [], NOTHING),
    ("enrolled grant", STUDENT, [Grant(ENROLLED, V)], VIEW),
    ("enrolled grant, download", STUDENT, [Grant(ENROLLED, D)], DOWNLOAD),
    ("enrolled grant, edit", STUDENT, [Grant(ENROLLED, E)], EVERYTHING),
    ("expired grant", STUDENT, [Grant(ENROLLED, E, expires_at=PAST)], NOTHING),
    ("grant expiring now", STUDENT, [Grant(ENROLLED, E, expires_at=NOW)], NOTHING),
    ("grant expiring later", STUDENT, [Grant(ENROLLED, D, expires_at=LATER)], DOWNLOAD),
    ("enrolled grant, removed student", REMOVED, [Grant(ENROLLED, V)], NOTHING),
    ("enrolled grant, outsider", OUTSIDER, [Grant(ENROLLED, D)], NOTHING),
    ("public grant, outsider", OUTSIDER, [Grant(PUBLIC, V)], VIEW),
    ("public grant, student", STUDENT, [Grant(PUBLIC, D)], DOWNLOAD),
    ("user grant for them", OUTSIDER, [Grant(USER, D, user_id="student-9")], DOWNLOAD),
    ("user grant for another", STUDENT, [Grant(USER, E, user_id="student-2")], NOTHING),
    (
        "highest applicable level wins",
        STUDENT,
        [Grant(PUBLIC, V), Grant(USER, E, user_id="student-1", expires_at=PAST)],
        VIEW,
    ),
    (
        "several grants add up",
        STUDENT,
        [Grant(ENROLLED, V), Grant(USER, D, user_id="student-1")],
        DOWNLOAD,
    ),
]


@pytest.mark.parametrize(
    ("viewer", "grants", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rights(viewer: Viewer, grants: list[Grant], expected: Rights) -> None:
    assert rights_of(viewer, grants, NOW) == expected


def test_levels_are_ordered() -> None:
    assert [level.rank for level in (V, D, E)] == [1, 2, 3]
