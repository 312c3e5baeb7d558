"""A page of a table's rows and how many match in all: what every admin and inbox list
answers with (``{data, count}``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, RowMapping, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["counted_page"]


async def counted_page(
    conn: AsyncConnection,
    table: Table,
    conditions: Sequence[ColumnElement[bool]],
    *,
    order_by: Sequence[ColumnElement[object]],
    limit: int,
    offset: int,
) -> tuple[Sequence[RowMapping], int]:
    """The rows of ``table`` matching every condition, ``limit`` of them after ``offset`` in
    ``order_by`` order, and how many match."""
    total = await conn.scalar(select(func.count()).select_from(table).where(*conditions))
    page = select(table).where(*conditions).order_by(*order_by).limit(limit).offset(offset)
    return (await conn.execute(page)).mappings().all(), int(total or 0)
