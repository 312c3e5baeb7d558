"""Calendar feeds: iCalendar (RFC 5545) views of classes at secret, revocable URLs.

Calendar apps subscribe to a URL and cannot send a bearer token, so the URL
carries one: 32 random bytes, stored only as their SHA-256.  Rotating a feed
replaces its token (the old URL stops working at once); revoking it ends it.
Whether the owner may still see the classes is checked on every fetch.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, RowMapping, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import calendar_feeds, course_mentors, courses, enrollments, live_classes, users
from ..domain.calendar import render_calendar
from ..errors import Forbidden, NotFound
from ..schemas.calendar import FeedCreate, FeedCreated, FeedOut
from .access import require_course
from .context import ServiceContext
from .users import remember_user

__all__ = [
    "FEED_MAX_EVENTS",
    "FEED_PAST_DAYS",
    "create",
    "feeds",
    "render",
    "revoke",
    "rotate",
]

# Classes that started more than this long ago are left out of a feed.
FEED_PAST_DAYS = 90
FEED_MAX_EVENTS = 1000

_f = calendar_feeds.c
_lc = live_classes.c


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(ctx: ServiceContext, principal: Principal, body: FeedCreate) -> FeedCreated:
    async with ctx.db.read() as conn:
        if body.course_id is not None:
            await require_course(conn, principal, body.course_id)
            if not await _may_see_course(
                conn, principal.org_id, principal.user_id, body.course_id, principal.is_admin
            ):
                raise Forbidden("only the course's mentors, students and admins")
    token = secrets.token_urlsafe(32)
    now = ctx.clock()
    feed_id = f"cal_{secrets.token_hex(10)}"
    async with ctx.db.write() as conn:
        # The owner's role is read back on each fetch (a course feed of an admin).
        await remember_user(ctx, conn, principal)
        await conn.execute(
            calendar_feeds.insert().values(
                id=feed_id,
                org_id=principal.org_id,
                user_id=principal.user_id,
                kind=body.kind,
                course_id=body.course_id,
                token_hash=_hash(token),
                created_at=now,
            )
        )
        row = await _own_feed(conn, principal, feed_id)
    return _created(ctx, row, token)


async def feeds(ctx: ServiceContext, principal: Principal) -> list[FeedOut]:
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(calendar_feeds)
                .where(*_owned(principal), _f.revoked_at.is_(None))
                .order_by(_f.created_at, _f.id)
            )
        ).mappings()
        return [FeedOut.model_validate(dict(r)) for r in rows]


async def rotate(ctx: ServiceContext, principal: Principal, feed_id: str) -> FeedCreated:
    token = secrets.token_urlsafe(32)
    async with ctx.db.write() as conn:
        await _own_feed(conn, principal, feed_id)
        await conn.execute(
            update(calendar_feeds)
            .where(_f.id == feed_id)
            .values(token_hash=_hash(token), rotated_at=ctx.clock())
        )
        row = await _own_feed(conn, principal, feed_id)
    return _created(ctx, row, token)


async def revoke(ctx: ServiceContext, principal: Principal, feed_id: str) -> None:
    async with ctx.db.write() as conn:
        await _own_feed(conn, principal, feed_id)
        await conn.execute(
            update(calendar_feeds).where(_f.id == feed_id).values(revoked_at=ctx.clock())
        )


async def render(ctx: ServiceContext, token: str) -> bytes:
    """The feed's iCalendar text; 404 for an unknown, rotated or revoked token."""
    now = ctx.clock()
    async with ctx.db.read() as conn:
        feed = (
            (
                await conn.execute(
                    select(calendar_feeds).where(
                        _f.token_hash == _hash(token), _f.revoked_at.is_(None)
                    )
                )
            )
            .mappings()
            .first()
        )
        if feed is None:
            raise NotFound("no such calendar feed")
        is_admin = await _is_admin(conn, feed["org_id"], feed["user_id"])
        scope: list[ColumnElement[bool]] = [_lc.org_id == feed["org_id"]]
        if feed["kind"] == "course":
            if not await _may_see_course(
                conn, feed["org_id"], feed["user_id"], feed["course_id"], is_admin
            ):
                raise NotFound("no such calendar feed")
            scope.append(_lc.course_id == feed["course_id"])
            name = await conn.scalar(
                select(courses.c.title).where(
                    courses.c.org_id == feed["org_id"],
                    courses.c.course_id == feed["course_id"],
                )
            )
        else:
            scope.append(_theirs(feed["org_id"], feed["user_id"]))
            name = "My live classes"
        rows: Sequence[RowMapping] = (
            (
                await conn.execute(
                    select(live_classes)
                    .where(*scope, _lc.scheduled_start >= now - timedelta(days=FEED_PAST_DAYS))
                    .order_by(_lc.scheduled_start, _lc.id)
                    .limit(FEED_MAX_EVENTS)
                )
            )
            .mappings()
            .all()
        )
    return render_calendar(str(name or "Live classes"), rows, stamp=now)


def _created(ctx: ServiceContext, row: RowMapping, token: str) -> FeedCreated:
    url = f"{ctx.settings.public_url.rstrip('/')}/calendar/{token}.ics"
    return FeedCreated(**FeedOut.model_validate(dict(row)).model_dump(), url=url)


def _owned(principal: Principal) -> list[ColumnElement[bool]]:
    return [_f.org_id == principal.org_id, _f.user_id == principal.user_id]


async def _own_feed(conn: AsyncConnection, principal: Principal, feed_id: str) -> RowMapping:
    row = (
        (
            await conn.execute(
                select(calendar_feeds).where(
                    _f.id == feed_id, *_owned(principal), _f.revoked_at.is_(None)
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("no such calendar feed")
    return row


def _theirs(org_id: str, user_id: str) -> ColumnElement[bool]:
    """Classes a person teaches, attends or hosts (what their calendar should hold)."""
    taught = select(course_mentors.c.course_id).where(
        course_mentors.c.org_id == org_id, course_mentors.c.user_id == user_id
    )
    attended = select(enrollments.c.course_id).where(
        enrollments.c.org_id == org_id, enrollments.c.user_id == user_id
    )
    return or_(_lc.course_id.in_(taught), _lc.course_id.in_(attended), _lc.host_user_id == user_id)


async def _may_see_course(
    conn: AsyncConnection, org_id: str, user_id: str, course_id: str, is_admin: bool
) -> bool:
    if is_admin:
        return True
    for table in (course_mentors, enrollments):
        found = await conn.scalar(
            select(table.c.user_id).where(
                table.c.org_id == org_id,
                table.c.course_id == course_id,
                table.c.user_id == user_id,
            )
        )
        if found is not None:
            return True
    return False


async def _is_admin(conn: AsyncConnection, org_id: str, user_id: str) -> bool:
    """The role the owner's latest token carried (feeds are fetched without one)."""
    role = await conn.scalar(
        select(users.c.role).where(users.c.org_id == org_id, users.c.user_id == user_id)
    )
    return role == "admin"
