"""Applying the Alembic history in ``migrations/`` from code (CLI, start-up, tests), and
telling whether a database is at the revision this code needs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import migrations

from .db import Database
from .errors import Unavailable

__all__ = [
    "SchemaBehind",
    "alembic_config",
    "check_schema",
    "downgrade",
    "head_revision",
    "quiet_alembic",
    "upgrade",
    "upgrade_async",
]

MIGRATE_COMMAND = "liveclass migrate"


class SchemaBehind(Unavailable):
    """The database is not at this code's revision: every route would fail, so refuse."""

    def __init__(self, current: str | None, expected: str) -> None:
        super().__init__(
            f"the database is at revision {current or 'none (no tables)'}, this version "
            f"needs {expected}: run `{MIGRATE_COMMAND}`"
        )
        self.current = current
        self.expected = expected


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # '%' would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None, "the migration history is empty"
    return head


async def check_schema(db: Database) -> None:
    """Raise :class:`SchemaBehind` unless the database is at the head revision
    (:class:`~server.errors.Unavailable` when it cannot be reached)."""

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.read() as conn:
        revision = await conn.run_sync(current)
    expected = head_revision()
    if revision != expected:
        raise SchemaBehind(revision, expected)


class _Chatter(logging.Filter):
    """Alembic announces its dialect on every run; only the revisions applied matter."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Context impl", "Will assume"))


def quiet_alembic() -> None:
    logging.getLogger("alembic.runtime.migration").addFilter(_Chatter())


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking: run from a thread (``asyncio.to_thread``) inside an event loop."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)
