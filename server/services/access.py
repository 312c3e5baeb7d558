"""Finding a class for a caller and deciding who they are in it.

The rules in one place: another organization's class does not exist for the
caller (404, no existence leak); in the caller's organization a class of a
course they neither teach nor attend is ``forbidden``; someone removed from
the class is ``forbidden`` too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import RowMapping, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import class_participants, course_mentors, enrollments, live_classes
from ..domain.roles import ClassRole, class_role
from ..errors import Forbidden, NotFound

__all__ = ["ClassAccess", "load_class", "teaches", "require_host"]


@dataclass(frozen=True, slots=True)
class ClassAccess:
    row: RowMapping
    role: ClassRole

    @property
    def class_id(self) -> str:
        return str(self.row["id"])


async def teaches(conn: AsyncConnection, principal: Principal, course_id: str) -> bool:
    return bool(
        await conn.scalar(
            select(
                exists().where(
                    course_mentors.c.org_id == principal.org_id,
                    course_mentors.c.course_id == course_id,
                    course_mentors.c.user_id == principal.user_id,
                )
            )
        )
    )


async def load_class(conn: AsyncConnection, principal: Principal, class_id: str) -> ClassAccess:
    row = (
        await conn.execute(
            select(
                live_classes,
                exists()
                .where(
                    course_mentors.c.org_id == live_classes.c.org_id,
                    course_mentors.c.course_id == live_classes.c.course_id,
                    course_mentors.c.user_id == principal.user_id,
                )
                .label("caller_teaches"),
                exists()
                .where(
                    enrollments.c.org_id == live_classes.c.org_id,
                    enrollments.c.course_id == live_classes.c.course_id,
                    enrollments.c.user_id == principal.user_id,
                )
                .label("caller_enrolled"),
                exists()
                .where(
                    class_participants.c.class_id == live_classes.c.id,
                    class_participants.c.user_id == principal.user_id,
                    class_participants.c.removed_at.is_not(None),
                )
                .label("caller_removed"),
            ).where(live_classes.c.id == class_id, live_classes.c.org_id == principal.org_id)
        )
    ).mappings().first()
    if row is None:
        raise NotFound("no such live class")
    role = class_role(
        user_id=principal.user_id,
        is_admin=principal.is_admin,
        host_user_id=row["host_user_id"],
        teaches_course=bool(row["caller_teaches"]),
        enrolled=bool(row["caller_enrolled"]),
    )
    if role is None:
        raise Forbidden("you are not a member of this class's course")
    if role is ClassRole.PARTICIPANT and row["caller_removed"]:
        raise Forbidden("you were removed from this class")
    return ClassAccess(row=row, role=role)


def require_host(access: ClassAccess) -> None:
    if not access.role.is_host:
        raise Forbidden("only the class's hosts may do this")
