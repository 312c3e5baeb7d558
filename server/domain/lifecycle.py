"""The class lifecycle: ``scheduled -> live -> ended``, or ``cancelled``; final states stay."""

from __future__ import annotations

import enum

from ..errors import InvalidState

__all__ = ["ClassStatus"]


class ClassStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (ClassStatus.ENDED, ClassStatus.CANCELLED)

    def can_become(self, target: ClassStatus) -> bool:
        return target in _NEXT[self]

    def require_move(self, target: ClassStatus) -> ClassStatus:
        """Return ``target`` if this status may move to it; raise otherwise."""
        if not self.can_become(target):
            raise InvalidState(
                f"a {self.value} class cannot become {target.value}",
                details={"status": self.value, "requested": target.value},
            )
        return target

    def require_editable(self) -> None:
        if self.is_final:
            raise InvalidState(
                f"the class is {self.value} and can no longer be changed",
                details={"status": self.value},
            )


_NEXT: dict[ClassStatus, frozenset[ClassStatus]] = {
    ClassStatus.SCHEDULED: frozenset({ClassStatus.LIVE, ClassStatus.CANCELLED}),
    ClassStatus.LIVE: frozenset({ClassStatus.ENDED, ClassStatus.CANCELLED}),
    ClassStatus.ENDED: frozenset(),
    ClassStatus.CANCELLED: frozenset(),
}
