"""UTCDateTime on both backends: aware UTC datetimes out, whatever offset went in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import literal, select
from sqlalchemy.exc import StatementError

from server.db.database import Database
from server.db.types import UTCDateTime
from tests.support.backends import Backend

PARIS_SUMMER = timezone(timedelta(hours=2))


async def test_an_aware_datetime_comes_back_as_the_same_instant_in_utc(backend: Backend) -> None:
    db = Database(backend.database_url)
    try:
        async with db.read() as conn:
            read = await conn.scalar(
                select(literal(datetime(2031, 6, 1, 11, 30, 5, 250, PARIS_SUMMER), UTCDateTime))
            )
    finally:
        await db.dispose()
    assert read == datetime(2031, 6, 1, 9, 30, 5, 250, UTC)
    assert read.tzinfo is UTC


async def test_a_naive_datetime_is_refused(backend: Backend) -> None:
    db = Database(backend.database_url)
    try:
        async with db.read() as conn:
            with pytest.raises(StatementError, match="naive datetime"):
                await conn.scalar(select(literal(datetime(2031, 6, 1, 11, 30), UTCDateTime)))
    finally:
        await db.dispose()
