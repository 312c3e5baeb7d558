"""Presence opens the attendance intervals of a join storm together, with the rule of one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.db import Database
from server.db.tables import attendance_intervals
from server.services.attendance import Opening, close_intervals, open_intervals
from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_a_batch_opens_each_source_once(platform: Platform) -> None:
    class_id = await live_class(platform)
    db = Database(platform.server.settings.database_url)
    at = datetime.now(UTC)
    try:
        async with db.write() as conn:
            assert await open_intervals(conn, [Opening(class_id, "ann", "presence", at, "p:ann")])
        async with db.write() as conn:
            opened = await open_intervals(
                conn,
                [
                    Opening(class_id, "ann", "presence", at, "p:ann"),  # already open
                    Opening(class_id, "bob", "presence", at, "p:bob"),
                    Opening(class_id, "bob", "presence", at, "p:bob"),  # the same, again
                    Opening(class_id, "bob", "presence", at, "q:bob"),  # another process
                    Opening(class_id, "ann", "app", at),  # another source
                ],
            )
            assert opened == [False, True, False, True, True]
            # A closed interval does not count as open.
            await close_intervals(conn, class_id, at=at, user_id="bob", source_key="q:bob")
            later = at + timedelta(seconds=1)
            again = [Opening(class_id, "bob", "presence", later, "q:bob")]
            assert await open_intervals(conn, again) == [True]
        async with db.read() as conn:
            iv = attendance_intervals.c
            rows = (
                await conn.execute(
                    select(iv.user_id, iv.source, iv.source_key, iv.ended_at.is_(None))
                    .where(iv.class_id == class_id, iv.user_id.in_(["ann", "bob"]))
                    .order_by(iv.id)
                )
            ).all()
    finally:
        await db.dispose()
    assert [tuple(r) for r in rows] == [
        ("ann", "presence", "p:ann", True),
        ("bob", "presence", "p:bob", True),
        ("bob", "presence", "q:bob", False),
        ("ann", "app", "", True),
        ("bob", "presence", "q:bob", True),
    ]


async def test_students_joining_together_each_have_one_open_interval(platform: Platform) -> None:
    class_id = await live_class(platform)
    students = platform.students
    path = f"/api/live-classes/{class_id}/attendance"
    async with connected(platform.server.url, *students, *students) as clients:
        # All in flight at once, each student twice: one interval per student.
        await asyncio.gather(*(client.join(class_id) for client in clients))
        report = (await platform.call("GET", path, platform.mentor)).json()["data"]
    rows = {r["user_id"]: r for r in report}
    assert [rows[s.user_id]["join_count"] for s in students] == [1] * len(students)
