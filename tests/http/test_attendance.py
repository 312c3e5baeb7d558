"""Attendance from join/leave and other sources, merged, graded, and exported as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from server.db.tables import attendance_intervals
from tests.support.clock import FakeClock
from tests.support.platform import Platform


async def provider_interval(
    platform: Platform, class_id: str, start: Any, end: Any, **who: Any
) -> None:
    """An interval as a provider webhook would write it (another source than the app)."""
    db = platform.server.state.ctx.db
    async with db.write() as conn:
        await conn.execute(
            insert(attendance_intervals).values(
                class_id=class_id, source="provider", started_at=start, ended_at=end, **who
            )
        )


async def test_attendance_report_merges_sources_and_lists_absentees(
    platform: Platform, clock: FakeClock
) -> None:
    t0 = clock.now
    created = await platform.schedule(
        scheduled_start=t0.isoformat(), scheduled_end=(t0 + timedelta(hours=1)).isoformat()
    )
    path = f"/api/live-classes/{created['id']}"
    student = platform.students[0]
    await platform.call("POST", f"{path}/start", platform.mentor)
    await platform.call("POST", f"{path}/join", platform.mentor)
    await platform.call("POST", f"{path}/join", student)
    clock.advance(minutes=20)
    await platform.call("DELETE", f"{path}/join", student)
    clock.advance(minutes=25)
    await platform.call("POST", f"{path}/join", student)
    await provider_interval(
        platform,
        created["id"],
        t0 + timedelta(minutes=10),
        t0 + timedelta(minutes=30),
        user_id=student.user_id,
    )
    await provider_interval(
        platform,
        created["id"],
        t0,
        t0 + timedelta(minutes=15),
        guest_key="zoom:guest-1",
        guest_name="Dial-in user",
    )
    clock.advance(minutes=15)
    await platform.call("POST", f"{path}/end", platform.mentor)

    report = (await platform.call("GET", f"{path}/attendance", platform.mentor)).json()["data"]
    rows = {(r["user_id"], r["name"]): r for r in report}
    sam = rows[("student-1", "Sam Student")]
    assert (sam["attended_seconds"], sam["attended_percent"], sam["status"]) == (
        2700,
        75.0,
        "present",
    )
    assert sam["join_count"] == 2 and sam["enrolled"] is True
    assert sam["first_join"] == t0.isoformat().replace("+00:00", "Z")
    assert sam["last_leave"] == (t0 + timedelta(hours=1)).isoformat().replace("+00:00", "Z")

    def z(minutes: int) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    # The timeline's bars: merged sessions (app and provider), clipped to the class's run.
    assert sam["sessions"] == [
        {"start": z(0), "end": z(30)},
        {"start": z(45), "end": z(60)},
    ]
    lee = rows[("student-2", "student-2")]
    assert (lee["attended_seconds"], lee["status"], lee["join_count"]) == (0, "absent", 0)
    assert lee["first_join"] is None
    guest = rows[(None, "Dial-in user")]
    assert (guest["attended_percent"], guest["status"], guest["enrolled"]) == (
        25.0,
        "partial",
        False,
    )
    mentor = rows[("mentor-1", "Grace Mentor")]
    assert (mentor["status"], mentor["enrolled"]) == ("present", False)
    assert [r["enrolled"] for r in report] == [True, True, False, False]

    exported = await platform.call("GET", f"{path}/attendance?format=csv", platform.mentor)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(exported.text)))
    assert "sessions" not in parsed[0]
    assert [row["name"] for row in parsed] == [r["name"] for r in report]
    assert parsed[0]["attended_percent"] == "75.0" and parsed[0]["status"] == "present"
    assert parsed[1]["first_join"] == "" and parsed[1]["status"] == "absent"


async def test_csv_cells_cannot_smuggle_formulas(platform: Platform, clock: FakeClock) -> None:
    created = await platform.schedule()
    await provider_interval(
        platform,
        created["id"],
        clock.now,
        clock.now + timedelta(minutes=5),
        guest_key="zoom:evil",
        guest_name='=HYPERLINK("http://x")',
    )
    exported = await platform.call(
        "GET", f"/api/live-classes/{created['id']}/attendance?format=csv", platform.mentor
    )
    names = [row["name"] for row in csv.DictReader(io.StringIO(exported.text))]
    assert '\'=HYPERLINK("http://x")' in names


async def test_ending_a_class_closes_everyones_intervals(
    platform: Platform, clock: FakeClock
) -> None:
    t0 = clock.now
    created = await platform.schedule(
        scheduled_start=t0.isoformat(), scheduled_end=(t0 + timedelta(minutes=30)).isoformat()
    )
    path = f"/api/live-classes/{created['id']}"
    await platform.call("POST", f"{path}/start", platform.mentor)
    await platform.call("POST", f"{path}/join", platform.students[1])
    clock.advance(minutes=10)
    await platform.call("POST", f"{path}/end", platform.mentor)
    clock.advance(minutes=50)  # time after the end must not count
    report = (await platform.call("GET", f"{path}/attendance", platform.mentor)).json()["data"]
    lee = next(r for r in report if r["user_id"] == "student-2")
    assert (lee["attended_seconds"], lee["attended_percent"], lee["status"]) == (
        600,
        33.3,
        "partial",
    )
    assert lee["last_leave"] is not None
    assert (await platform.call("GET", path, platform.mentor)).json()["data"][
        "participant_count"
    ] == 0
