"""The SQLite driver: one trip to aiosqlite's thread per statement, with DBAPI answers intact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from server.db import sqlite_driver
from server.db.database import Database
from server.db.sqlite_driver import PrefetchingConnection


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.write() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT UNIQUE)"))
    yield database
    await database.dispose()


class TripCounter:
    """Counts the functions a connection runs on its thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.trips = 0
        run_on_thread = PrefetchingConnection._execute

        async def counted(connection: PrefetchingConnection, *args: Any, **kwargs: Any) -> Any:
            self.trips += 1
            return await run_on_thread(connection, *args, **kwargs)  # type: ignore[no-untyped-call]

        monkeypatch.setattr(PrefetchingConnection, "_execute", counted)


async def test_the_database_connects_sqlite_through_the_driver(db: Database) -> None:
    async with db.read() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, PrefetchingConnection)


async def test_a_statement_with_rows_is_one_trip(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.write() as conn:
        counter = TripCounter(monkeypatch)
        rows = (await conn.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
        assert [tuple(row) for row in rows] == [(1,), (2,)]
        # Stock aiosqlite under SQLAlchemy: 4 (cursor, execute, fetch, close).
        assert counter.trips == 1


async def test_a_committed_write_takes_no_trip_to_be_returned_to_the_pool(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = TripCounter(monkeypatch)
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO notes (body) VALUES ('x')"))
    assert counter.trips == 3  # BEGIN IMMEDIATE, the insert, COMMIT; no reset rollback


async def test_rows_counts_and_ids_come_back_as_the_dbapi_gives_them(db: Database) -> None:
    async with db.write() as conn:
        inserted = await conn.execute(text("INSERT INTO notes (body) VALUES ('a')"))
        assert inserted.lastrowid == 1
        returned = await conn.execute(
            text("INSERT INTO notes (body) VALUES ('b'), ('c') RETURNING id, body")
        )
        assert [tuple(row) for row in returned] == [(2, "b"), (3, "c")]
        many = await conn.execute(
            text("INSERT INTO notes (body) VALUES (:body)"), [{"body": "d"}, {"body": "e"}]
        )
        assert many.rowcount == 2
        changed = await conn.execute(text("UPDATE notes SET body = body || '!' WHERE id > 3"))
        assert changed.rowcount == 2
        result = await conn.execute(text("SELECT id, body FROM notes ORDER BY id"))
        assert list(result.keys()) == ["id", "body"]
        assert result.fetchone() == (1, "a")
        assert result.fetchmany(2) == [(2, "b"), (3, "c")]
        assert result.fetchall() == [(4, "d!"), (5, "e!")]
        assert result.fetchone() is None


async def test_streamed_results_are_served_from_the_rows_brought_back(db: Database) -> None:
    async with db.read() as conn:
        streamed = await conn.stream(text("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"))
        assert await streamed.fetchone() == (1,)
        assert [tuple(row) async for row in streamed] == [(2,), (3,)]
        again = await conn.stream(text("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"))
        assert [len(part) async for part in again.partitions(2)] == [2, 1]


async def test_the_cursor_answers_fetches_as_aiosqlite_does(tmp_path: Path) -> None:
    connection = await sqlite_driver.connect(str(tmp_path / "plain.db"))
    try:
        cursor = await connection.cursor()
        await cursor.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
        assert cursor.description is not None and cursor.description[0][0] == "1"
        assert await cursor.fetchone() == (1,)
        assert list(await cursor.fetchmany()) == [(2,)]  # arraysize 1, as sqlite3's
        assert list(await cursor.fetchall()) == [(3,)]
        assert await cursor.fetchone() is None
    finally:
        await connection.close()


async def test_a_failing_statement_raises_and_the_connection_carries_on(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO notes (body) VALUES ('same')"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
            await conn.execute(text("INSERT INTO notes (body) VALUES ('same')"))
    with pytest.raises(OperationalError, match="no such table"):
        async with db.read() as conn:
            await conn.execute(text("SELECT * FROM missing"))
    async with db.read() as conn:  # the transaction rolled back whole; the pool still serves
        bodies = (await conn.execute(text("SELECT body FROM notes"))).scalars().all()
    assert bodies == ["same"]
