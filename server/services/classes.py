"""Live classes: schedule, change, run and cancel them, with their provider meeting in step.

Provider calls happen outside database transactions, ordered so that a
provider failure leaves nothing behind: create calls the provider first and
stores only on success (deleting the fresh meeting again if the insert
fails); update and cancel call the provider first and change our row only
after it agreed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import (
    attendance_intervals,
    class_participants,
    course_mentors,
    courses,
    enrollments,
    live_classes,
)
from ..domain.lifecycle import ClassStatus
from ..domain.recording_access import Viewer
from ..domain.roles import ClassRole
from ..errors import Conflict, Forbidden, InvalidState, NotFound, bad_field
from ..outbound.outbox import EventType, emit_class
from ..providers.base import Attendee, Meeting
from ..schemas.classes import (
    ClassCreate,
    ClassDetail,
    ClassFilter,
    ClassOut,
    ClassSettings,
    ClassUpdate,
    JoinInfo,
    ParticipantOut,
    check_schedule,
)
from ..schemas.common import Page
from ..webhooks.google_jobs import enqueue_channel_open
from .access import ClassAccess, load_class, require_host, teaches
from .attendance import close_intervals, open_interval
from .class_meetings import meeting_columns, meeting_of, meeting_request, touches_provider
from .class_status import notify_reschedule, transition_in
from .class_views import (
    count_participants,
    list_classes,
    participant_passcode,
    participants_of,
    render_classes,
)
from .context import ServiceContext
from .events import ClassEvent
from .recordings import accessible_recordings
from .resources import of_class
from .users import remember_user

__all__ = ["ClassService", "record_participant"]

_lc = live_classes.c
APP_SOURCE = "app"
PARTICIPANTS_IN_DETAIL = 100


class ClassService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- reading ---------------------------------------------------------------

    async def find(self, principal: Principal, query: ClassFilter) -> tuple[list[ClassOut], int]:
        conditions = [_lc.org_id == principal.org_id]
        if not principal.is_admin:
            taught = select(course_mentors.c.course_id).where(
                course_mentors.c.org_id == principal.org_id,
                course_mentors.c.user_id == principal.user_id,
            )
            attended = select(enrollments.c.course_id).where(
                enrollments.c.org_id == principal.org_id,
                enrollments.c.user_id == principal.user_id,
            )
            conditions.append(
                or_(
                    _lc.course_id.in_(taught),
                    _lc.course_id.in_(attended),
                    _lc.host_user_id == principal.user_id,
                )
            )
        if query.course_id is not None:
            conditions.append(_lc.course_id == query.course_id)
        if query.status is not None:
            conditions.append(_lc.status == query.status.value)
        if query.from_ is not None:
            conditions.append(_lc.scheduled_start >= query.from_)
        if query.to is not None:
            conditions.append(_lc.scheduled_start <= query.to)
        async with self._ctx.db.read() as conn:
            return await list_classes(
                conn, principal, conditions, limit=query.limit, offset=query.offset
            )

    async def get(self, principal: Principal, class_id: str) -> ClassDetail:
        async with self._ctx.db.read() as conn:
            access = await load_class(conn, principal, class_id)
            return await self.detail(conn, principal, access)

    async def participants(
        self, principal: Principal, class_id: str, page: Page
    ) -> tuple[list[ParticipantOut], int]:
        async with self._ctx.db.read() as conn:
            await load_class(conn, principal, class_id)
            found = await participants_of(conn, class_id, limit=page.limit, offset=page.offset)
            return found, await count_participants(conn, class_id)

    # -- scheduling ------------------------------------------------------------

    async def create(self, principal: Principal, body: ClassCreate) -> ClassDetail:
        await self.require_scheduler(principal, body.course_id)
        provider = self._ctx.providers.get(body.provider or self._ctx.settings.default_provider)
        values = self.new_values(principal, body)
        meeting = await provider.create_meeting(
            meeting_request(
                values, body.settings, host_email=principal.email, manual_join_url=body.join_url
            )
        )
        try:
            async with self._ctx.db.write() as conn:
                await self.store(conn, principal, values, meeting)
        except BaseException:
            # Nothing half-done: the meeting we just made must not outlive the failed insert.
            await provider.delete_meeting(meeting, principal.org_id)
            raise
        return await self.get(principal, values["id"])

    async def require_scheduler(self, principal: Principal, course_id: str) -> None:
        """404 for an unknown course; 403 unless a mentor of it or an admin."""
        async with self._ctx.db.read() as conn:
            course = await conn.scalar(
                select(courses.c.course_id).where(
                    courses.c.org_id == principal.org_id, courses.c.course_id == course_id
                )
            )
            if course is None:
                raise NotFound("no such course")
            if not (principal.is_admin or await teaches(conn, principal, course_id)):
                raise Forbidden("only the course's mentors and admins may schedule its classes")

    def new_values(
        self, principal: Principal, body: ClassCreate, *, series_id: str | None = None
    ) -> dict[str, Any]:
        """The row of a new class (without its meeting columns and times of writing)."""
        return {
            "id": secrets.token_hex(12),
            "series_id": series_id,
            "org_id": principal.org_id,
            "course_id": body.course_id,
            "title": body.title,
            "description": body.description,
            "status": ClassStatus.SCHEDULED.value,
            "scheduled_start": body.scheduled_start,
            "scheduled_end": body.scheduled_end,
            "timezone": body.timezone,
            "host_user_id": principal.user_id,
            "max_participants": body.max_participants,
            "auto_recording": body.auto_recording,
            "settings": body.settings.model_dump(),
            "created_by": principal.user_id,
        }

    async def store(
        self,
        conn: AsyncConnection,
        principal: Principal,
        values: dict[str, Any],
        meeting: Meeting,
    ) -> None:
        """Insert a new class whose meeting exists, in the caller's transaction."""
        now = self._ctx.clock()
        await remember_user(self._ctx.db, conn, principal)
        await conn.execute(
            insert(live_classes).values(
                **values, created_at=now, updated_at=now, **meeting_columns(meeting)
            )
        )
        await emit_class(conn, values["id"], EventType.CLASS_SCHEDULED, at=now)
        if meeting.provider == "google_meet":
            # Calendar push notifications tell us when the event changes.
            window = timedelta(hours=self._ctx.settings.google_channel_renew_hours)
            await enqueue_channel_open(conn, org_id=principal.org_id, now=now, window=window)

    async def update(self, principal: Principal, class_id: str, body: ClassUpdate) -> ClassDetail:
        async with self._ctx.db.read() as conn:
            access = await load_class(conn, principal, class_id)
        require_host(access)
        row = access.row
        status = ClassStatus(row["status"])
        status.require_editable()
        changes = body.model_dump(exclude_unset=True, exclude={"settings", "join_url"})
        start = changes.get("scheduled_start") or row["scheduled_start"]
        end = changes.get("scheduled_end") or row["scheduled_end"]
        try:
            check_schedule(start, end)
        except ValueError as exc:
            raise bad_field("scheduled_end", str(exc)) from None
        settings = ClassSettings.model_validate(row["settings"])
        if body.settings is not None:
            settings = body.settings.apply(settings)
            changes["settings"] = settings.model_dump()
        if body.join_url is not None and row["provider"] != "manual":
            raise bad_field("join_url", "only a manual class has a join_url to change")
        meeting = meeting_of(row)
        if touches_provider(changes, body):
            provider = self._ctx.providers.get(row["provider"])
            request = meeting_request(
                {**row, **changes}, settings, host_email=None, manual_join_url=body.join_url
            )
            meeting = await provider.update_meeting(meeting, request)
            changes.update(meeting_columns(meeting))
        changes["updated_at"] = self._ctx.clock()
        changes["revision"] = _lc.revision + 1
        async with self._ctx.db.write() as conn:
            result = await conn.execute(
                update(live_classes)
                .where(_lc.id == class_id, _lc.status.in_(["scheduled", "live"]))
                .values(**changes)
            )
            if result.rowcount == 0:
                raise InvalidState("the class ended or was cancelled meanwhile")
            await emit_class(conn, class_id, EventType.CLASS_UPDATED, at=changes["updated_at"])
            if (start, end) != (row["scheduled_start"], row["scheduled_end"]):
                await notify_reschedule(conn, row, start, at=changes["updated_at"])
        return await self.get(principal, class_id)

    # -- lifecycle ---------------------------------------------------------------

    async def start(self, principal: Principal, class_id: str) -> ClassDetail:
        await self._host_transition(principal, class_id, ClassStatus.LIVE)
        return await self.get(principal, class_id)

    async def end(self, principal: Principal, class_id: str) -> ClassDetail:
        await self._host_transition(principal, class_id, ClassStatus.ENDED)
        return await self.get(principal, class_id)

    async def cancel(self, principal: Principal, class_id: str) -> ClassDetail:
        async with self._ctx.db.read() as conn:
            access = await load_class(conn, principal, class_id)
        require_host(access)
        ClassStatus(access.row["status"]).require_move(ClassStatus.CANCELLED)
        provider = self._ctx.providers.get(access.row["provider"])
        await provider.delete_meeting(meeting_of(access.row), access.row["org_id"])
        await self.transition(class_id, ClassStatus.CANCELLED)
        return await self.get(principal, class_id)

    async def _host_transition(
        self, principal: Principal, class_id: str, target: ClassStatus
    ) -> None:
        async with self._ctx.db.read() as conn:
            access = await load_class(conn, principal, class_id)
        require_host(access)
        ClassStatus(access.row["status"]).require_move(target)
        await self.transition(class_id, target)

    async def transition(
        self, class_id: str, target: ClassStatus, *, at: datetime | None = None
    ) -> ClassEvent:
        """Move a class to ``target`` and broadcast ``class:status``."""
        async with self._ctx.db.write() as conn:
            event = await transition_in(
                conn,
                class_id,
                target,
                at=at or self._ctx.clock(),
                present_percent=self._ctx.settings.attendance_present_percent,
            )
        await self._ctx.broadcaster.publish(event)
        return event

    # -- taking part ---------------------------------------------------------------

    async def join(self, principal: Principal, class_id: str) -> JoinInfo:
        now = self._ctx.clock()
        async with self._ctx.db.write() as conn:
            access = await load_class(conn, principal, class_id)
            row = access.row
            if ClassStatus(row["status"]).is_final:
                raise InvalidState(f"the class is {row['status']}; it cannot be joined")
            if not access.role.is_host and row["max_participants"] is not None:
                await _require_room(conn, class_id, principal.user_id, row["max_participants"])
            await remember_user(self._ctx.db, conn, principal)
            await record_participant(self._ctx, conn, access, principal.user_id, now)
            await open_interval(
                conn, class_id, user_id=principal.user_id, source=APP_SOURCE, at=now
            )
        meeting = meeting_of(row)
        provider = self._ctx.providers.get(row["provider"])
        link = provider.join_link(
            meeting,
            Attendee(
                user_id=principal.user_id,
                name=principal.name,
                email=principal.email,
                is_host=access.role.is_host,
            ),
        )
        if access.role.is_host:
            return JoinInfo(join_url=link, host_url=row["host_url"], passcode=row["passcode"])
        return JoinInfo(join_url=link, passcode=participant_passcode(row))

    async def leave(self, principal: Principal, class_id: str) -> dict[str, bool]:
        now = self._ctx.clock()
        async with self._ctx.db.write() as conn:
            await load_class(conn, principal, class_id)
            closed = await close_intervals(
                conn, class_id, at=now, user_id=principal.user_id, source=APP_SOURCE
            )
        return {"left": closed > 0}

    # -- rendering -------------------------------------------------------------------

    async def detail(
        self, conn: AsyncConnection, principal: Principal, access: ClassAccess
    ) -> ClassDetail:
        (summary,) = await render_classes(conn, [access.row], [access.role])
        # load_class admits participants only while enrolled and not removed.
        viewer = Viewer(principal.user_id, access.role, enrolled=True)
        return ClassDetail(
            **summary.model_dump(),
            participants=await participants_of(conn, access.class_id, limit=PARTICIPANTS_IN_DETAIL),
            recordings=await accessible_recordings(
                conn, viewer, access.class_id, now=self._ctx.clock()
            ),
            resources=await of_class(conn, access.class_id),
        )


async def record_participant(
    ctx: ServiceContext, conn: AsyncConnection, access: ClassAccess, user_id: str, at: datetime
) -> None:
    """Remember that a user took part (first time and latest)."""
    stmt = ctx.db.upsert(class_participants).values(
        class_id=access.class_id,
        user_id=user_id,
        org_id=access.row["org_id"],
        role=access.role.value,
        first_joined_at=at,
        last_seen_at=at,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["class_id", "user_id"],
            set_={"last_seen_at": at, "role": access.role.value},
        )
    )


async def _require_room(
    conn: AsyncConnection, class_id: str, user_id: str, max_participants: int
) -> None:
    """Refuse a participant when ``max_participants`` others are online (hosts not counted)."""
    iv, cp = attendance_intervals.c, class_participants.c
    participants = select(cp.user_id).where(
        cp.class_id == class_id, cp.role == ClassRole.PARTICIPANT.value
    )
    others = await conn.scalar(
        select(func.count(func.distinct(iv.user_id))).where(
            iv.class_id == class_id,
            iv.ended_at.is_(None),
            iv.user_id != user_id,
            iv.user_id.in_(participants),
        )
    )
    if int(others or 0) >= max_participants:
        raise Conflict(f"the class is full ({max_participants} participants)")
