"""The async engine, with the few things PostgreSQL and SQLite must be told to agree on.

Use :meth:`Database.write` for anything that changes rows (one transaction,
committed on exit) and :meth:`Database.read` for queries.  A database that
cannot be reached surfaces as :class:`server.errors.Unavailable` (503), never
as a driver exception.

SQLite limits, stated plainly: it is the embedded single-process default.
Writers are serialised by an in-process lock and ``BEGIN IMMEDIATE`` (so a
read-then-write transaction never dies with "database is locked"), in WAL
mode so readers carry on meanwhile.  Several processes on one SQLite file
work but queue on the file lock; run PostgreSQL for that.  Connections come
from :mod:`.sqlite_driver` (aiosqlite, one trip to its thread per statement).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import orjson
from sqlalchemy import Table, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ..errors import Unavailable
from . import sqlite_driver

__all__ = ["Database", "upsert_in"]

_READONLY = "liveclass_readonly"


def _json_loads(text: str | bytes) -> Any:
    """JSON columns read with orjson (a class's ``settings`` are read with every class
    listed); what it refuses (``NaN``, written by the standard library) as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Database:
    def __init__(
        self, url: str, *, pool_size: int = 10, pool_timeout: float = 30.0, echo: bool = False
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {
            "echo": echo,
            # PostgreSQL: a closed connection is dropped at checkout without a round
            # trip (_discard_closed), not by SQLAlchemy's pre-ping.
            "pool_pre_ping": False,
            "pool_size": pool_size,
            "max_overflow": pool_size,
            "pool_timeout": pool_timeout,
            "json_deserializer": _json_loads,
        }
        if self.is_sqlite:
            options["async_creator"] = self._connect_sqlite
        self.engine: AsyncEngine = create_async_engine(url, **options)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._read_options: dict[str, Any] = {_READONLY: True}
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        else:
            _discard_closed(self.engine)
            self._read_options["isolation_level"] = "AUTOCOMMIT"

    async def _connect_sqlite(self) -> aiosqlite.Connection:
        # The file and options SQLAlchemy reads from the URL, as it would pass them to
        # aiosqlite.connect.
        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        return await sqlite_driver.connect(*args, **{**kwargs, "timeout": 30})

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction, committed when the block exits cleanly."""
        if self._write_lock is None:
            async with _translated(), self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, _translated(), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for queries only: never write through it.

        On PostgreSQL it runs in autocommit, without a transaction of its own (at
        READ COMMITTED each statement reads its own snapshot either way, and
        ``BEGIN``/``ROLLBACK`` are two round trips more per read), so a write
        through it would stay.  On SQLite it is one deferred transaction, rolled
        back at the end, whose statements all read one snapshot.
        """
        async with _translated(), self.engine.connect() as conn:
            conn = await conn.execution_options(**self._read_options)
            yield conn

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    def upsert(self, table: Table) -> Any:
        """``INSERT`` with ``on_conflict_do_update/nothing`` in this dialect."""
        return upsert_in(self.engine.dialect.name, table)

    async def dispose(self) -> None:
        await self.engine.dispose()


def upsert_in(dialect: str, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_update/nothing`` for ``dialect`` (``conn.dialect.name``)."""
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except DBAPIError as exc:
        if _is_disconnect(exc):
            raise Unavailable("the database is unavailable") from exc
        raise
    except (OSError, ConnectionError) as exc:
        raise Unavailable("the database is unavailable") from exc
    except PoolTimeout as exc:  # every pooled connection stayed busy: the server is overloaded
        raise Unavailable("the database is busy") from exc


# SQLSTATE classes meaning "the server cannot serve you now": connection exception,
# insufficient resources (too many connections), operator intervention (shutdown,
# terminated session, starting up).
_UNAVAILABLE_STATES = ("08", "53", "57P")


def _is_disconnect(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    if str(getattr(exc.orig, "sqlstate", None) or "").startswith(_UNAVAILABLE_STATES):
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)) and exc.orig is not None:
        # A refused connection attempt (e.g. "not currently accepting connections")
        # comes as a bare DBAPIError; only those words qualify it.
        return "accepting connections" in str(exc.orig).lower()
    text_ = str(exc.orig).lower()
    return any(
        marker in text_ for marker in ("connect", "closed", "terminat", "refused", "unable to open")
    )


def _discard_closed(engine: AsyncEngine) -> None:
    """Replace a pooled connection the server has closed before handing it out.

    asyncpg learns of a close when it happens (a restart, a terminated backend,
    an idle timeout: the server ends the TCP connection), so checking its state
    costs nothing, where SQLAlchemy's pre-ping spends three round trips
    (``BEGIN``, ``;``, ``ROLLBACK``) on every checkout, about 0.3 ms of CPU.
    Limit: a connection whose network path died silently (no FIN ever arrives)
    looks open; its first statement fails, the request gets 503 and SQLAlchemy
    invalidates the pool.  A pre-ping would hang on such a connection too.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, _record: Any, proxy: Any) -> None:
        if proxy.driver_connection.is_closed():
            # SQLAlchemy invalidates the connection and checks out another.
            raise DisconnectionError("the database server closed this pooled connection")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below choose how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(_READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
