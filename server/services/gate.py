"""Who may act in a class right now: membership, role, class state, feature switch, rate.

The rules of docs/realtime.md "Who may do what" in one place, for every
interaction service:

- the class must exist in the caller's organization (404) and the caller be a
  member who was not removed (403);
- hosts may act in any state but ``cancelled``;
- participants need a ``live`` class, except chat before the start when the
  class's ``lobby_chat`` is on; after the end the room is read-only for them;
- a feature switched off (``chat``, ``qa``, ``polls``, ``reactions``,
  ``hand_raise``) closes its event family, for hosts too, except their
  moderation (deleting, hiding, answering, closing, lowering hands), which
  always works so a host can clean up after switching a feature off.

Everything is ``closed`` when refused for state or switch reasons.
The checks read committed state before the write transaction, so a class that
ends in between still accepts that one in-flight action; given ``within``
(the write's own connection) they run inside that transaction instead: one
transaction rather than two, which chat, the hottest path, uses.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..domain.lifecycle import ClassStatus
from ..domain.roles import ClassRole
from ..errors import Closed, Forbidden
from ..schemas.classes import ClassSettings
from ..schemas.common import UserRef
from .access import ClassAccess, load_class
from .context import ServiceContext
from .ratelimit import Limit

__all__ = ["Actor", "Family", "enter", "new_id"]


def new_id() -> str:
    return secrets.token_hex(12)


class Family(enum.StrEnum):
    CHAT = "chat"
    QA = "qa"
    POLLS = "polls"
    REACTIONS = "reactions"
    HANDS = "hand_raise"


@dataclass(frozen=True, slots=True)
class Actor:
    principal: Principal
    access: ClassAccess

    @property
    def class_id(self) -> str:
        return self.access.class_id

    @property
    def user_id(self) -> str:
        return self.principal.user_id

    @property
    def role(self) -> ClassRole:
        return self.access.role

    @property
    def is_host(self) -> bool:
        return self.access.role.is_host

    @property
    def user(self) -> UserRef:
        return UserRef(id=self.principal.user_id, name=self.principal.name, role=self.role.value)

    async def limit(self, ctx: ServiceContext, limit: Limit) -> None:
        """Count one rate-limited action of a participant (hosts are not limited)."""
        if not self.is_host:
            await ctx.limiter.hit(limit, self.class_id, self.user_id)


async def enter(
    ctx: ServiceContext,
    principal: Principal,
    class_id: str,
    *,
    family: Family | None = None,
    hosts_only: bool = False,
    participants_only: bool = False,
    moderation: bool = False,
    lobby: bool = False,
    within: AsyncConnection | None = None,
) -> Actor:
    """Load the class for ``principal`` and apply the rules above; raise or return the actor.

    ``within``: check on that connection (inside the caller's write transaction)
    instead of a read connection of its own.
    """
    if within is None:
        async with ctx.db.read() as conn:
            access = await load_class(conn, principal, class_id)
    else:
        access = await load_class(within, principal, class_id)
    actor = Actor(principal, access)
    if hosts_only and not actor.is_host:
        raise Forbidden("only the class's hosts may do this")
    if participants_only and actor.is_host:
        raise Forbidden("only participants may do this")
    status = ClassStatus(access.row["status"])
    if status is ClassStatus.CANCELLED:
        raise Closed("the class was cancelled")
    settings = ClassSettings.model_validate(access.row["settings"])
    switched_off = family is not None and not getattr(settings, family.value)
    if switched_off and not (moderation and actor.is_host):
        assert family is not None
        raise Closed(f"{family.value} is switched off in this class")
    if not actor.is_host and status is not ClassStatus.LIVE:
        in_lobby = lobby and status is ClassStatus.SCHEDULED and settings.lobby_chat
        if not in_lobby:
            raise Closed(f"the class is {status.value}, not live")
    return actor
