"""Course sync from the platform: titles, mentors and enrolled students (admins only)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import course_mentors, courses
from ..db.tables import enrollments as enrollments_table
from ..errors import Forbidden, NotFound
from ..schemas.courses import CourseOut, CourseUpsert, EnrollmentChange, EnrollmentsOut
from .access import require_course
from .context import ServiceContext

__all__ = ["change_enrollments", "enrollments", "get", "upsert"]

_MISSING = "no such course; create it with PUT /api/courses/{course_id} first"


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("course sync is for the platform's admin tokens")


async def upsert(
    ctx: ServiceContext, principal: Principal, course_id: str, body: CourseUpsert
) -> CourseOut:
    _require_admin(principal)
    now = ctx.clock()
    org = principal.org_id
    async with ctx.db.write() as conn:
        stmt = ctx.db.upsert(courses).values(
            org_id=org, course_id=course_id, title=body.title, created_at=now, updated_at=now
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["org_id", "course_id"],
                set_={"title": body.title, "updated_at": now},
            )
        )
        await conn.execute(
            delete(course_mentors).where(
                course_mentors.c.org_id == org, course_mentors.c.course_id == course_id
            )
        )
        mentors = sorted(set(body.mentors))
        if mentors:
            await conn.execute(
                course_mentors.insert(),
                [{"org_id": org, "course_id": course_id, "user_id": m} for m in mentors],
            )
        students = await _student_count(conn, org, course_id)
    return CourseOut(course_id=course_id, title=body.title, mentors=mentors, student_count=students)


async def get(ctx: ServiceContext, principal: Principal, course_id: str) -> CourseOut:
    _require_admin(principal)
    async with ctx.db.read() as conn:
        title = await conn.scalar(
            select(courses.c.title).where(
                courses.c.org_id == principal.org_id, courses.c.course_id == course_id
            )
        )
        if title is None:
            raise NotFound("no such course")
        mentors = (
            await conn.scalars(
                select(course_mentors.c.user_id)
                .where(
                    course_mentors.c.org_id == principal.org_id,
                    course_mentors.c.course_id == course_id,
                )
                .order_by(course_mentors.c.user_id)
            )
        ).all()
        students = await _student_count(conn, principal.org_id, course_id)
    return CourseOut(
        course_id=course_id, title=title, mentors=list(mentors), student_count=students
    )


async def enrollments(ctx: ServiceContext, principal: Principal, course_id: str) -> EnrollmentsOut:
    _require_admin(principal)
    async with ctx.db.read() as conn:
        await require_course(conn, principal, course_id, missing=_MISSING)
        return EnrollmentsOut(
            course_id=course_id,
            students=await _students(conn, principal.org_id, course_id),
        )


async def change_enrollments(
    ctx: ServiceContext, principal: Principal, course_id: str, body: EnrollmentChange, *, mode: str
) -> EnrollmentsOut:
    """``mode``: ``replace`` (PUT), ``add`` (POST) or ``remove`` (DELETE)."""
    _require_admin(principal)
    org = principal.org_id
    wanted = set(body.students)
    async with ctx.db.write() as conn:
        await require_course(conn, principal, course_id, missing=_MISSING)
        current = set(await _students(conn, org, course_id))
        if mode == "replace":
            to_add, to_remove = wanted - current, current - wanted
        elif mode == "add":
            to_add, to_remove = wanted - current, set()
        else:
            to_add, to_remove = set(), wanted & current
        if to_remove:
            await conn.execute(
                delete(enrollments_table).where(
                    enrollments_table.c.org_id == org,
                    enrollments_table.c.course_id == course_id,
                    enrollments_table.c.user_id.in_(sorted(to_remove)),
                )
            )
        if to_add:
            now = ctx.clock()
            await conn.execute(
                enrollments_table.insert(),
                [
                    {"org_id": org, "course_id": course_id, "user_id": u, "enrolled_at": now}
                    for u in sorted(to_add)
                ],
            )
        students = sorted((current | to_add) - to_remove)
    return EnrollmentsOut(course_id=course_id, students=students)


async def _students(conn: AsyncConnection, org: str, course_id: str) -> list[str]:
    rows = await conn.scalars(
        select(enrollments_table.c.user_id)
        .where(enrollments_table.c.org_id == org, enrollments_table.c.course_id == course_id)
        .order_by(enrollments_table.c.user_id)
    )
    return list(rows.all())


async def _student_count(conn: AsyncConnection, org: str, course_id: str) -> int:
    return int(
        await conn.scalar(
            select(func.count())
            .select_from(enrollments_table)
            .where(enrollments_table.c.org_id == org, enrollments_table.c.course_id == course_id)
        )
        or 0
    )
