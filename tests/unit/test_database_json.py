"""JSON columns read back as they were written, including what only the standard library writes."""

from __future__ import annotations

import math
from pathlib import Path

from sqlalchemy import JSON, Column, Integer, MetaData, Table, select, text

from server.db import Database

metadata = MetaData()
documents = Table(
    "documents", metadata, Column("id", Integer, primary_key=True), Column("body", JSON)
)


async def test_json_columns_read_what_was_written(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'json.db'}")
    try:
        async with db.write() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(documents.insert(), [{"id": 1, "body": {"a": [1, "é", None]}}])
            # Python's json module writes NaN (not JSON, which orjson refuses to read).
            await conn.execute(text("INSERT INTO documents VALUES (2, '{\"x\": NaN}')"))
        async with db.read() as conn:
            bodies = dict((await conn.execute(select(documents.c.id, documents.c.body))).all())
    finally:
        await db.dispose()
    assert bodies[1] == {"a": [1, "é", None]}
    assert math.isnan(bodies[2]["x"])
