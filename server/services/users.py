"""Users are mirrored from token claims, so names survive in reports after tokens expire."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import organizations, users
from .context import ServiceContext

__all__ = ["remember_user"]


async def remember_user(ctx: ServiceContext, conn: AsyncConnection, principal: Principal) -> None:
    """Upsert the caller's organization, and name, email and role as their token states them."""
    db, now = ctx.db, ctx.clock()
    await conn.execute(
        db.upsert(organizations)
        .values(org_id=principal.org_id, first_seen_at=now)
        .on_conflict_do_nothing(index_elements=["org_id"])
    )
    values = {
        "name": principal.name,
        "email": principal.email,
        "role": principal.role.value,
        "updated_at": now,
    }
    stmt = db.upsert(users).values(org_id=principal.org_id, user_id=principal.user_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["org_id", "user_id"], set_=values)
    )
