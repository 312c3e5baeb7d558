"""Who a Zoom participant is to us: a user matched by email, or a guest."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.tables import users

__all__ = ["PROVIDER_SOURCE", "attendee_columns"]

PROVIDER_SOURCE = "provider"


async def attendee_columns(
    conn: AsyncConnection, org_id: str, email: str, key: str, name: str
) -> dict[str, str | None]:
    """Who an interval belongs to: the user with that email, else a guest under ``key``."""
    if email:
        user_id = await conn.scalar(
            select(users.c.user_id)
            .where(users.c.org_id == org_id, func.lower(users.c.email) == email.lower())
            .limit(1)
        )
        if user_id is not None:
            return {"user_id": user_id, "guest_key": None, "guest_name": None}
    return {"user_id": None, "guest_key": f"zoom:{key}", "guest_name": (name or "Zoom guest")[:200]}
