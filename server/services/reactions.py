"""Reactions: ephemeral, counted into ``reaction:burst`` batches; not stored."""

from __future__ import annotations

from ..auth import Principal
from .context import ServiceContext
from .events import Coalesced
from .gate import Family, enter
from .ratelimit import Limit

__all__ = ["send"]


async def send(ctx: ServiceContext, principal: Principal, class_id: str, emoji: str) -> None:
    actor = await enter(ctx, principal, class_id, family=Family.REACTIONS)
    await actor.limit(ctx, Limit.REACTIONS)
    ctx.broadcaster.changed(class_id, Coalesced.REACTIONS, emoji)
