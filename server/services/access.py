"""Finding a class for a caller and deciding who they are in it.

The rules in one place: another organization's class does not exist for the
caller (404, no existence leak); in the caller's organization a class of a
course they neither teach nor attend is ``forbidden``; someone removed from
the class is ``forbidden`` too.  :func:`class_standing` is the same lookup
without the membership check, for the few things (recordings shared with the
whole organization) that outsiders of the course may reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, RowMapping, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import class_participants, course_mentors, courses, enrollments, live_classes
from ..domain.roles import ClassRole, class_role
from ..errors import Forbidden, NotFound

__all__ = [
    "ClassAccess",
    "ClassStanding",
    "class_standing",
    "load_class",
    "require_host",
    "teaches",
]


@dataclass(frozen=True, slots=True)
class ClassAccess:
    row: RowMapping
    role: ClassRole

    @property
    def class_id(self) -> str:
        return str(self.row["id"])


@dataclass(frozen=True, slots=True)
class ClassStanding:
    """A class of the caller's organization and who the caller is there, outsiders included."""

    row: RowMapping
    role: ClassRole | None
    # Enrolled in the class's course and not removed from the class.
    enrolled: bool
    removed: bool


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


async def require_course(
    conn: AsyncConnection, principal: Principal, course_id: str, *, missing: str = "no such course"
) -> None:
    """404 (``missing``) unless the course exists in the caller's organization."""
    found = await conn.scalar(
        select(courses.c.course_id).where(
            courses.c.org_id == principal.org_id, courses.c.course_id == course_id
        )
    )
    if found is None:
        raise NotFound(missing)


async def require_mentor(
    conn: AsyncConnection, principal: Principal, course_id: str, *, refusal: str
) -> None:
    """404 for an unknown course; 403 (``refusal``) unless a mentor of it or an admin."""
    await require_course(conn, principal, course_id)
    if not (principal.is_admin or await teaches(conn, principal, course_id)):
        raise Forbidden(refusal)


# Built once: a statement made per call costs as much CPU as running it.
_caller: BindParameter[str] = bindparam("user_id")
_STANDING = select(
    live_classes,
    exists()
    .where(
        course_mentors.c.org_id == live_classes.c.org_id,
        course_mentors.c.course_id == live_classes.c.course_id,
        course_mentors.c.user_id == _caller,
    )
    .label("caller_teaches"),
    exists()
    .where(
        enrollments.c.org_id == live_classes.c.org_id,
        enrollments.c.course_id == live_classes.c.course_id,
        enrollments.c.user_id == _caller,
    )
    .label("caller_enrolled"),
    exists()
    .where(
        class_participants.c.class_id == live_classes.c.id,
        class_participants.c.user_id == _caller,
        class_participants.c.removed_at.is_not(None),
    )
    .label("caller_removed"),
).where(live_classes.c.id == bindparam("class_id"), live_classes.c.org_id == bindparam("org_id"))


async def class_standing(
    conn: AsyncConnection, principal: Principal, class_id: str
) -> ClassStanding:
    """The class and the caller's role in it (``None`` outside the course); 404 only."""
    parameters = {"class_id": class_id, "org_id": principal.org_id, "user_id": principal.user_id}
    row = (await conn.execute(_STANDING, parameters)).mappings().first()
    if row is None:
        raise NotFound("no such live class")
    role = class_role(
        user_id=principal.user_id,
        is_admin=principal.is_admin,
        host_user_id=row["host_user_id"],
        teaches_course=bool(row["caller_teaches"]),
        enrolled=bool(row["caller_enrolled"]),
    )
    removed = bool(row["caller_removed"])
    return ClassStanding(
        row=row, role=role, enrolled=bool(row["caller_enrolled"]) and not removed, removed=removed
    )


async def load_class(conn: AsyncConnection, principal: Principal, class_id: str) -> ClassAccess:
    standing = await class_standing(conn, principal, class_id)
    role = standing.role
    if role is None:
        raise Forbidden("you are not a member of this class's course")
    if role is ClassRole.PARTICIPANT and standing.removed:
        raise Forbidden("you were removed from this class")
    return ClassAccess(row=standing.row, role=role)


def require_host(access: ClassAccess) -> None:
    if not access.role.is_host:
        raise Forbidden("only the class's hosts may do this")


async def load_hosted_class(
    conn: AsyncConnection, principal: Principal, class_id: str
) -> ClassAccess:
    """:func:`load_class` for an operation only the class's hosts may do."""
    access = await load_class(conn, principal, class_id)
    require_host(access)
    return access
