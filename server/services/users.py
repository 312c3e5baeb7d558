"""Users are mirrored from token claims, so names survive in reports after tokens expire."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.database import upsert_in
from ..db.tables import organizations, users
from .context import ServiceContext

__all__ = ["remember_user", "remember_users"]


async def remember_user(ctx: ServiceContext, conn: AsyncConnection, principal: Principal) -> None:
    """Upsert the caller's organization, and name, email and role as their token states them."""
    await remember_users(ctx, conn, [principal])


async def remember_users(
    ctx: ServiceContext, conn: AsyncConnection, principals: Sequence[Principal]
) -> None:
    """:func:`remember_user` for many callers: one ``executemany`` per table (a caller
    listed twice is upserted once, as their last token states)."""
    if not principals:
        return
    now = ctx.clock()
    orgs = [
        {"org_id": org_id, "first_seen_at": now} for org_id in {p.org_id: p for p in principals}
    ]
    people = {
        (p.org_id, p.user_id): {
            "org_id": p.org_id,
            "user_id": p.user_id,
            "name": p.name,
            "email": p.email,
            "role": p.role.value,
            "updated_at": now,
        }
        for p in principals
    }
    org_upsert, user_upsert = _upserts(conn.dialect.name)
    await conn.execute(org_upsert, orgs)
    await conn.execute(user_upsert, list(people.values()))


@cache
def _upserts(dialect: str) -> tuple[Any, Any]:
    """The organization and user upserts, built once per dialect."""
    org_upsert = upsert_in(dialect, organizations).on_conflict_do_nothing(index_elements=["org_id"])
    user_insert = upsert_in(dialect, users)
    updated = {name: user_insert.excluded[name] for name in ("name", "email", "role", "updated_at")}
    user_upsert = user_insert.on_conflict_do_update(
        index_elements=["org_id", "user_id"], set_=updated
    )
    return org_upsert, user_upsert
