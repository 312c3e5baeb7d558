"""A pool with every connection held answers "busy" (503), not an unexpected error."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.db import Database
from server.errors import Unavailable


async def test_a_pool_timeout_is_unavailable_the_database_is_busy(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", pool_size=1, pool_timeout=0.2)
    try:
        async with db.read(), db.read():  # the one pooled connection and its one overflow
            with pytest.raises(Unavailable, match="the database is busy"):
                async with db.read():
                    pass
        await db.ping()  # released: the pool serves again
    finally:
        await db.dispose()
