"""Live classes: schedule, change, run and cancel them, with their provider meeting in step.

Provider calls happen outside database transactions, ordered so that a
provider failure leaves nothing behind: create calls the provider first and
stores only on success (deleting the fresh meeting again if the insert
fails); update and cancel call the provider first and change our row only
after it agreed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, insert
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import live_classes
from ..domain.lifecycle import ClassStatus
from ..domain.recording_access import Viewer
from ..errors import (
    BadRequest,
    InvalidState,
    ProviderError,
    bad_field,
)
from ..outbound.outbox import EventType, emit_class
from ..providers.base import Attendee, Meeting, RefreshesHostLink
from ..schemas.classes import (
    ClassCreate,
    ClassDetail,
    ClassFilter,
    ClassOut,
    ClassSettings,
    ClassUpdate,
    JoinInfo,
    ParticipantOut,
    ResourceOut,
    check_schedule,
)
from ..schemas.common import Page
from .access import ClassAccess, load_class, load_hosted_class, require_mentor
from .admission import Entry, admit
from .attendance import close_intervals, open_interval
from .class_meetings import meeting_columns, meeting_of, meeting_request, touches_provider
from .class_status import notify_reschedule, transition_in
from .class_views import (
    IN_ORG,
    OF_COURSE,
    STARTING_FROM,
    STARTING_TO,
    VISIBLE_TO_USER,
    WITH_STATUS,
    ClassFacts,
    ListFilter,
    class_facts,
    count_participants,
    list_classes,
    participant_passcode,
    participants_of,
)
from .context import ServiceContext
from .google_jobs import enqueue_channel_open
from .recordings import ClassRecordings, class_recordings
from .resources import of_class
from .users import remember_user

__all__ = [
    "DetailParts",
    "cancel",
    "create",
    "detail",
    "detail_parts",
    "end",
    "find",
    "get",
    "host_url",
    "join",
    "leave",
    "new_values",
    "participants",
    "require_scheduler",
    "start",
    "store",
    "update",
]

log = logging.getLogger("liveclass.classes")

_lc = live_classes.c
APP_SOURCE = "app"
PARTICIPANTS_IN_DETAIL = 100


# -- reading ---------------------------------------------------------------


async def find(
    ctx: ServiceContext, principal: Principal, query: ClassFilter
) -> tuple[list[ClassOut], int]:
    conditions = [IN_ORG]
    params: dict[str, Any] = {}
    if not principal.is_admin:
        conditions.append(VISIBLE_TO_USER)
    optional = {
        "course_id": (OF_COURSE, query.course_id),
        "status": (WITH_STATUS, None if query.status is None else query.status.value),
        "starts_from": (STARTING_FROM, query.from_),
        "starts_to": (STARTING_TO, query.to),
    }
    for name, (condition, value) in optional.items():
        if value is not None:
            conditions.append(condition)
            params[name] = value
    where = ListFilter(tuple(conditions), params)
    async with ctx.db.read() as conn:
        return await list_classes(conn, principal, where, limit=query.limit, offset=query.offset)


async def get(
    ctx: ServiceContext, principal: Principal, class_id: str, *, fresh_host_url: bool = True
) -> ClassDetail:
    async with ctx.db.read() as conn:
        access = await load_class(conn, principal, class_id)
        shown = await detail(ctx, conn, principal, access)
    if fresh_host_url and access.role.is_host:
        shown = shown.model_copy(update={"host_url": await host_url(ctx, access.row)})
    return shown


async def host_url(ctx: ServiceContext, row: RowMapping) -> str | None:
    """The host's link, fetched anew from a provider whose links expire (Zoom) while
    the class can still be held; the stored one, with a warning, if that fails."""
    stored: str | None = row["host_url"]
    if ClassStatus(row["status"]).is_final:
        return stored
    try:
        provider = ctx.providers.get(row["provider"])
        if not isinstance(provider, RefreshesHostLink):
            return stored
        return await provider.fresh_host_url(meeting_of(row), row["org_id"]) or stored
    except (ProviderError, BadRequest) as exc:
        log.warning(
            "class %s: no fresh host link from %s, handing out the stored one "
            "(it may have expired): %s",
            row["id"],
            row["provider"],
            exc,
        )
        return stored


async def participants(
    ctx: ServiceContext, principal: Principal, class_id: str, page: Page
) -> tuple[list[ParticipantOut], int]:
    async with ctx.db.read() as conn:
        await load_class(conn, principal, class_id)
        found = await participants_of(conn, class_id, limit=page.limit, offset=page.offset)
        return found, await count_participants(conn, class_id)


# -- scheduling ------------------------------------------------------------


async def create(ctx: ServiceContext, principal: Principal, body: ClassCreate) -> ClassDetail:
    await require_scheduler(ctx, principal, body.course_id)
    provider = ctx.providers.get(body.provider or ctx.settings.default_provider)
    values = new_values(principal, body)
    meeting = await provider.create_meeting(
        meeting_request(
            values, body.settings, host_email=principal.email, manual_join_url=body.join_url
        )
    )
    try:
        async with ctx.db.write() as conn:
            await store(ctx, conn, principal, values, meeting)
    except BaseException:
        # Nothing half-done: the meeting we just made must not outlive the failed insert.
        await provider.delete_meeting(meeting, principal.org_id)
        raise
    return await get(ctx, principal, values["id"], fresh_host_url=False)  # brand new


async def require_scheduler(ctx: ServiceContext, principal: Principal, course_id: str) -> None:
    """404 for an unknown course; 403 unless a mentor of it or an admin."""
    async with ctx.db.read() as conn:
        await require_mentor(
            conn,
            principal,
            course_id,
            refusal="only the course's mentors and admins may schedule its classes",
        )


def new_values(
    principal: Principal, body: ClassCreate, *, series_id: str | None = None
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
    ctx: ServiceContext,
    conn: AsyncConnection,
    principal: Principal,
    values: dict[str, Any],
    meeting: Meeting,
) -> None:
    """Insert a new class whose meeting exists, in the caller's transaction."""
    now = ctx.clock()
    await remember_user(ctx, conn, principal)
    await conn.execute(
        insert(live_classes).values(
            **values, created_at=now, updated_at=now, **meeting_columns(meeting)
        )
    )
    await emit_class(conn, values["id"], EventType.CLASS_SCHEDULED, at=now)
    if meeting.provider == "google_meet":
        # Calendar push notifications tell us when the event changes.
        window = timedelta(hours=ctx.settings.google_channel_renew_hours)
        await enqueue_channel_open(ctx.jobs, conn, org_id=principal.org_id, now=now, window=window)


async def update(
    ctx: ServiceContext, principal: Principal, class_id: str, body: ClassUpdate
) -> ClassDetail:
    async with ctx.db.read() as conn:
        access = await load_hosted_class(conn, principal, class_id)
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
        provider = ctx.providers.get(row["provider"])
        request = meeting_request(
            {**row, **changes}, settings, host_email=None, manual_join_url=body.join_url
        )
        meeting = await provider.update_meeting(meeting, request)
        changes.update(meeting_columns(meeting))
    changes["updated_at"] = ctx.clock()
    changes["revision"] = _lc.revision + 1
    async with ctx.db.write() as conn:
        result = await conn.execute(
            sql_update(live_classes)
            .where(_lc.id == class_id, _lc.status.in_(["scheduled", "live"]))
            .values(**changes)
        )
        if result.rowcount == 0:
            raise InvalidState("the class ended or was cancelled meanwhile")
        await emit_class(conn, class_id, EventType.CLASS_UPDATED, at=changes["updated_at"])
        if (start, end) != (row["scheduled_start"], row["scheduled_end"]):
            await notify_reschedule(conn, row, start, at=changes["updated_at"])
    return await get(ctx, principal, class_id)


# -- lifecycle ---------------------------------------------------------------


async def start(ctx: ServiceContext, principal: Principal, class_id: str) -> ClassDetail:
    await _host_transition(ctx, principal, class_id, ClassStatus.LIVE)
    return await get(ctx, principal, class_id)


async def end(ctx: ServiceContext, principal: Principal, class_id: str) -> ClassDetail:
    await _host_transition(ctx, principal, class_id, ClassStatus.ENDED)
    return await get(ctx, principal, class_id)


async def cancel(ctx: ServiceContext, principal: Principal, class_id: str) -> ClassDetail:
    async with ctx.db.read() as conn:
        access = await load_hosted_class(conn, principal, class_id)
    ClassStatus(access.row["status"]).require_move(ClassStatus.CANCELLED)
    provider = ctx.providers.get(access.row["provider"])
    await provider.delete_meeting(meeting_of(access.row), access.row["org_id"])
    await _transition(ctx, class_id, ClassStatus.CANCELLED)
    return await get(ctx, principal, class_id)


async def _host_transition(
    ctx: ServiceContext, principal: Principal, class_id: str, target: ClassStatus
) -> None:
    async with ctx.db.read() as conn:
        access = await load_hosted_class(conn, principal, class_id)
    ClassStatus(access.row["status"]).require_move(target)
    await _transition(ctx, class_id, target)


async def _transition(ctx: ServiceContext, class_id: str, target: ClassStatus) -> None:
    """Move a class to ``target`` and broadcast ``class:status``."""
    async with ctx.db.write() as conn:
        event = await transition_in(
            conn,
            class_id,
            target,
            at=ctx.clock(),
            jobs=ctx.jobs,
            present_percent=ctx.settings.attendance_present_percent,
        )
    await ctx.broadcaster.publish(event)


# -- taking part ---------------------------------------------------------------


async def join(ctx: ServiceContext, principal: Principal, class_id: str) -> JoinInfo:
    now = ctx.clock()
    async with ctx.db.write() as conn:
        access = await admit(ctx, conn, principal, class_id, Entry.MEETING, now)
        row = access.row
        await open_interval(conn, class_id, user_id=principal.user_id, source=APP_SOURCE, at=now)
    meeting = meeting_of(row)
    provider = ctx.providers.get(row["provider"])
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
        return JoinInfo(join_url=link, host_url=await host_url(ctx, row), passcode=row["passcode"])
    return JoinInfo(join_url=link, passcode=participant_passcode(row))


async def leave(ctx: ServiceContext, principal: Principal, class_id: str) -> dict[str, bool]:
    now = ctx.clock()
    async with ctx.db.write() as conn:
        await load_class(conn, principal, class_id)
        closed = await close_intervals(
            conn, class_id, at=now, user_id=principal.user_id, source=APP_SOURCE
        )
    return {"left": closed > 0}


# -- rendering -------------------------------------------------------------------


async def detail(
    ctx: ServiceContext, conn: AsyncConnection, principal: Principal, access: ClassAccess
) -> ClassDetail:
    return (await detail_parts(ctx, conn, access.row)).for_viewer(principal, access)


async def detail_parts(ctx: ServiceContext, conn: AsyncConnection, row: RowMapping) -> DetailParts:
    """What a class's detail shows, read once for every viewer."""
    class_id = str(row["id"])
    return DetailParts(
        facts=await class_facts(conn, [row]),
        participants=await participants_of(conn, class_id, limit=PARTICIPANTS_IN_DETAIL),
        recordings=await class_recordings(conn, class_id, now=ctx.clock()),
        resources=await of_class(conn, class_id),
    )


@dataclass(frozen=True, slots=True)
class DetailParts:
    """A class's detail before it is shown to someone: the same for every viewer."""

    facts: ClassFacts
    participants: list[ParticipantOut]
    recordings: ClassRecordings
    resources: list[ResourceOut]

    def for_viewer(self, principal: Principal, access: ClassAccess) -> ClassDetail:
        # load_class admits participants only while enrolled and not removed.
        viewer = Viewer(principal.user_id, access.role, enrolled=True)
        return ClassDetail(
            **self.facts.render(access.row, access.role).model_dump(),
            participants=self.participants,
            recordings=self.recordings.accessible_to(viewer),
            resources=self.resources,
        )
