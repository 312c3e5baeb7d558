"""Resources hosts share with a class (slides, documents, links, videos)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import class_resources
from ..schemas.classes import ResourceOut
from ..schemas.common import UserRef
from ..schemas.interactions import ResourceShareBody
from .access import load_class
from .context import ServiceContext
from .events import append_event
from .gate import enter, new_id

__all__ = ["listing", "of_class", "share"]

_r = class_resources.c


async def of_class(conn: AsyncConnection, class_id: str) -> list[ResourceOut]:
    rows = (
        await conn.execute(
            select(class_resources).where(_r.class_id == class_id).order_by(_r.shared_at, _r.id)
        )
    ).mappings()
    return [
        ResourceOut(
            id=r["id"],
            kind=r["kind"],
            title=r["title"],
            url=r["url"],
            shared_by=UserRef(
                id=r["shared_by_id"], name=r["shared_by_name"], role=r["shared_by_role"]
            ),
            shared_at=r["shared_at"],
        )
        for r in rows
    ]


async def share(
    ctx: ServiceContext, principal: Principal, class_id: str, body: ResourceShareBody
) -> ResourceOut:
    actor = await enter(ctx, principal, class_id, hosts_only=True)
    now = ctx.clock()
    resource = ResourceOut(
        id=new_id(),
        kind=body.kind,
        title=body.title,
        url=body.url,
        shared_by=actor.user,
        shared_at=now,
    )
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(class_resources).values(
                id=resource.id,
                class_id=class_id,
                kind=body.kind,
                title=body.title,
                url=body.url,
                shared_by_id=actor.user_id,
                shared_by_name=principal.name,
                shared_by_role=actor.role.value,
                shared_at=now,
            )
        )
        event = await append_event(
            conn,
            class_id,
            "resource:shared",
            {"resource": resource.model_dump(mode="json")},
            now=now,
        )
    await ctx.broadcaster.publish(event)
    return resource


async def listing(ctx: ServiceContext, principal: Principal, class_id: str) -> list[ResourceOut]:
    async with ctx.db.read() as conn:
        await load_class(conn, principal, class_id)
        return await of_class(conn, class_id)
