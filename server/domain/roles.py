"""Who someone is in one class, derived from the token and the synced course membership."""

from __future__ import annotations

import enum

__all__ = ["ClassRole", "class_role"]


class ClassRole(enum.StrEnum):
    HOST = "host"
    CO_HOST = "co_host"
    PARTICIPANT = "participant"

    @property
    def is_host(self) -> bool:
        """Hosts and co-hosts share every host power (the specs' "hosts")."""
        return self is not ClassRole.PARTICIPANT


def class_role(
    *,
    user_id: str,
    is_admin: bool,
    host_user_id: str,
    teaches_course: bool,
    enrolled: bool,
) -> ClassRole | None:
    """The caller's role in a class of their own organization, or ``None`` for outsiders."""
    if user_id == host_user_id:
        return ClassRole.HOST
    if is_admin or teaches_course:
        return ClassRole.CO_HOST
    if enrolled:
        return ClassRole.PARTICIPANT
    return None
