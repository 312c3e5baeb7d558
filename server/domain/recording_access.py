"""Who may watch, download or manage one recording: pure rules, no I/O.

Hosts (the class's host, its course's mentors and the organization's admins,
see :mod:`server.domain.roles`) may do everything.  Everyone else needs a
grant that is not expired (``expires_at`` in the past or now grants nothing)
and that applies to them:

* ``public``: any authenticated user of the organization, in the course or not;
* ``enrolled``: the students enrolled in the class's course (a participant
  removed from the class is not counted as enrolled);
* ``user``: that one user.

Levels are ordered ``view < download < edit``: ``view`` lets one play the
recording (and see it listed), ``download`` adds downloading it, ``edit``
adds managing the recording's grants (creating, listing and deleting them).
Deleting the recording itself stays with hosts.  Several applicable grants
give the highest of their levels.  The organization is checked before these
rules run: they never see a caller from another one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from .roles import ClassRole

__all__ = ["AccessLevel", "Grant", "GrantScope", "Rights", "Viewer", "rights_of"]


class GrantScope(enum.StrEnum):
    PUBLIC = "public"
    ENROLLED = "enrolled"
    USER = "user"


class AccessLevel(enum.StrEnum):
    VIEW = "view"
    DOWNLOAD = "download"
    EDIT = "edit"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {AccessLevel.VIEW: 1, AccessLevel.DOWNLOAD: 2, AccessLevel.EDIT: 3}


@dataclass(frozen=True, slots=True)
class Grant:
    scope: GrantScope
    level: AccessLevel
    user_id: str | None = None
    expires_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def applies_to(self, viewer: Viewer) -> bool:
        if self.scope is GrantScope.PUBLIC:
            return True
        if self.scope is GrantScope.ENROLLED:
            return viewer.enrolled
        return self.user_id == viewer.user_id


@dataclass(frozen=True, slots=True)
class Viewer:
    """The caller as the rules need them: ``role`` is ``None`` outside the course."""

    user_id: str
    role: ClassRole | None
    enrolled: bool


class Rights(NamedTuple):
    can_access: bool
    can_download: bool
    can_edit: bool


def rights_of(viewer: Viewer, grants: Iterable[Grant], now: datetime) -> Rights:
    if viewer.role is not None and viewer.role.is_host:
        return Rights(True, True, True)
    rank = max(
        (g.level.rank for g in grants if g.is_active(now) and g.applies_to(viewer)), default=0
    )
    return Rights(
        can_access=rank >= AccessLevel.VIEW.rank,
        can_download=rank >= AccessLevel.DOWNLOAD.rank,
        can_edit=rank >= AccessLevel.EDIT.rank,
    )
