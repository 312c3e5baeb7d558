"""aiosqlite with one trip to its thread per statement, for the embedded SQLite default.

aiosqlite runs every sqlite3 call on the connection's own thread and hands
each result back through the event loop: a thread wake-up and a loop
wake-up, tens of microseconds of CPU per trip.  SQLAlchemy's aiosqlite
adapter takes four trips per statement (make a cursor, execute, fetch the
rows, close the cursor), so a chat message (``BEGIN IMMEDIATE``, four
statements, ``COMMIT`` and the pool's reset) took 20 trips, now 6.
:class:`PrefetchingCursor` does a statement's four in one: it executes,
fetches every row, notes the cursor's attributes and closes it on the
thread, and answers the fetches from what it brought back; and a rollback
with no transaction open (the pool's reset after a commit) stays off the
thread.

SQLAlchemy is handed these connections through ``create_async_engine``'s
``async_creator`` and wraps them in its own adapter as it wraps aiosqlite's.

Limits, stated plainly:

- Every statement's rows come back at once: ``AsyncConnection.stream``
  works, but from rows held in memory (the server never streams results;
  PostgreSQL is unaffected).
- It relies on aiosqlite's ``Connection._execute`` (run a function on the
  connection's thread), ``_conn``, ``_connection``, ``_thread`` and
  ``aiosqlite.context.Result``, hence the exact pin of aiosqlite in
  pyproject; ``tests/unit/test_sqlite_driver.py`` exercises each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Self

import aiosqlite
from aiosqlite.context import Result

__all__ = ["PrefetchingConnection", "PrefetchingCursor", "connect"]

_Description = tuple[tuple[str, None, None, None, None, None, None], ...] | None


@dataclass(frozen=True, slots=True)
class _Outcome:
    rows: list[Any]
    description: _Description
    rowcount: int
    lastrowid: int | None


async def _on_thread(
    connection: aiosqlite.Connection, run: Callable[[sqlite3.Connection], _Outcome]
) -> _Outcome:
    """``run`` on the connection's thread, given its sqlite3 connection."""
    outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
        lambda: run(connection._conn)
    )
    return outcome


def _run(sql: str, parameters: Any, connection: sqlite3.Connection, *, many: bool) -> _Outcome:
    """One statement, whole: executed, every row fetched, the cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description is not None else []
        # rowcount after the fetch: for INSERT ... RETURNING it counts the rows fetched.
        return _Outcome(rows, description, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


class PrefetchingCursor:
    """The part of aiosqlite's cursor that SQLAlchemy's adapter uses, one trip a statement."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self._taken = 0
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Self:
        values = () if parameters is None else parameters
        self._keep(await _on_thread(self._connection, partial(_run, sql, values, many=False)))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Self:
        self._keep(await _on_thread(self._connection, partial(_run, sql, parameters, many=True)))
        return self

    def _keep(self, outcome: _Outcome) -> None:
        self._rows, self._taken = outcome.rows, 0
        self.description = outcome.description
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid

    async def fetchone(self) -> Any | None:
        rows = self._take(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._take(self.arraysize if size is None else size)

    async def fetchall(self) -> Sequence[Any]:
        return self._take(len(self._rows))

    def _take(self, count: int) -> list[Any]:
        taken = self._rows[self._taken : self._taken + count]
        self._taken += len(taken)
        return taken

    async def close(self) -> None:
        """Nothing to do: the sqlite3 cursor was closed on the thread."""
        self._rows = []


class PrefetchingConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are :class:`PrefetchingCursor`."""

    def cursor(self) -> Result[PrefetchingCursor]:  # type: ignore[override]
        # Awaitable and an async context manager, as aiosqlite's (SQLAlchemy enters it).
        return Result(self._new_cursor())

    async def _new_cursor(self) -> PrefetchingCursor:
        # No trip: the sqlite3 cursor is made with each statement, on the thread.
        return PrefetchingCursor(self)

    async def rollback(self) -> None:
        # The pool rolls back every connection it takes back, most of them just
        # committed: with no transaction open there is nothing to do, and no trip.
        # (in_transaction only reads a flag; no statement runs on this connection
        # while it is being returned.)
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()


def connect(database: str, **kwargs: Any) -> PrefetchingConnection:
    """Like ``aiosqlite.connect`` (await the result); ``kwargs`` go to ``sqlite3.connect``."""

    def connector() -> sqlite3.Connection:
        opened: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return opened

    connection = PrefetchingConnection(connector, iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite: a connection never closed must not keep the
    # interpreter from exiting.
    connection._thread.daemon = True
    return connection
