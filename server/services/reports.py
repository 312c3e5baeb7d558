"""The class report (engagement per participant and class totals) and the per-course
attendance summary a platform grades with.

Anonymous actions (questions asked anonymously, answers to anonymous polls)
are counted in the class totals only and never attributed to anyone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import (
    attendance_intervals,
    chat_messages,
    enrollments,
    live_classes,
    poll_votes,
    polls,
    question_votes,
    questions,
    users,
)
from ..domain.attendance import AttendanceStatus, Interval
from ..domain.report import is_correct, peak_online, per_minute
from ..outbound.outbox import EventType, emit_class
from ..schemas.classes import AttendanceRow
from ..schemas.reports import (
    ClassReport,
    CourseAttendance,
    CourseAttendanceClass,
    CourseAttendanceStudent,
    ReportParticipant,
    ReportTotals,
)
from .access import load_hosted_class, require_mentor
from .attendance import attendance_rows
from .context import ServiceContext

__all__ = ["class_report", "course_attendance", "finalize_attendance"]

_iv = attendance_intervals.c
_lc = live_classes.c


async def class_report(ctx: ServiceContext, principal: Principal, class_id: str) -> ClassReport:
    """For the class's hosts and admins, during or after the class."""
    async with ctx.db.read() as conn:
        access = await load_hosted_class(conn, principal, class_id)
        return await _report_of(
            conn,
            access.row,
            now=ctx.clock(),
            present_percent=ctx.settings.attendance_present_percent,
        )


async def course_attendance(
    ctx: ServiceContext, principal: Principal, course_id: str
) -> CourseAttendance:
    """Every enrolled student over the course's ended classes; mentors and admins."""
    now = ctx.clock()
    async with ctx.db.read() as conn:
        await require_mentor(
            conn, principal, course_id, refusal="only the course's mentors and admins"
        )
        held = (
            (
                await conn.execute(
                    select(live_classes)
                    .where(
                        _lc.org_id == principal.org_id,
                        _lc.course_id == course_id,
                        _lc.status == "ended",
                    )
                    .order_by(_lc.scheduled_start, _lc.id)
                )
            )
            .mappings()
            .all()
        )
        per_class = [
            await attendance_rows(
                conn,
                row,
                now=now,
                present_percent=ctx.settings.attendance_present_percent,
            )
            for row in held
        ]
        enrolled_now = await _enrolled(conn, principal.org_id, course_id)
    return _course_summary(course_id, held, per_class, enrolled_now)


async def _enrolled(conn: AsyncConnection, org_id: str, course_id: str) -> dict[str, str]:
    rows = await conn.execute(
        select(enrollments.c.user_id, users.c.name)
        .select_from(
            enrollments.outerjoin(
                users,
                (users.c.org_id == enrollments.c.org_id)
                & (users.c.user_id == enrollments.c.user_id),
            )
        )
        .where(enrollments.c.org_id == org_id, enrollments.c.course_id == course_id)
    )
    return {user_id: name or user_id for user_id, name in rows.all()}


def _course_summary(
    course_id: str,
    held: Sequence[RowMapping],
    per_class: list[list[AttendanceRow]],
    enrolled: dict[str, str],
) -> CourseAttendance:
    classes = [
        CourseAttendanceClass(
            class_id=row["id"],
            title=row["title"],
            scheduled_start=row["scheduled_start"],
            scheduled_seconds=_scheduled(row),
        )
        for row in held
    ]
    possible = sum(c.scheduled_seconds for c in classes)
    students = []
    for user_id, name in enrolled.items():
        statuses: Counter[str] = Counter()
        seconds = credited = 0
        for klass, rows in zip(classes, per_class, strict=True):
            mine = next((r for r in rows if r.user_id == user_id), None)
            statuses[mine.status if mine else AttendanceStatus.ABSENT.value] += 1
            attended = mine.attended_seconds if mine else 0
            seconds += attended
            credited += min(attended, klass.scheduled_seconds)
        students.append(
            CourseAttendanceStudent(
                user_id=user_id,
                name=name,
                classes_held=len(classes),
                classes_attended=statuses[AttendanceStatus.PRESENT.value],
                classes_partial=statuses[AttendanceStatus.PARTIAL.value],
                classes_absent=statuses[AttendanceStatus.ABSENT.value],
                attended_minutes=round(seconds / 60, 1),
                attendance_percent=(
                    min(100.0, int(1000 * credited / possible) / 10) if possible else 0.0
                ),
            )
        )
    students.sort(key=lambda s: (s.name.lower(), s.user_id))
    return CourseAttendance(course_id=course_id, classes=classes, students=students)


def _scheduled(row: RowMapping) -> int:
    return int((row["scheduled_end"] - row["scheduled_start"]).total_seconds())


async def _report_of(
    conn: AsyncConnection, row: RowMapping, *, now: datetime, present_percent: float
) -> ClassReport:
    class_id = row["id"]
    attendance = await attendance_rows(conn, row, now=now, present_percent=present_percent)
    people: dict[tuple[str, str], dict[str, int]] = defaultdict(Counter)
    names: dict[tuple[str, str], str] = {}

    def person(user_id: str, name: str) -> dict[str, int]:
        key = ("user", user_id)
        names.setdefault(key, name)
        return people[key]

    chat = await conn.execute(
        select(chat_messages.c.user_id, chat_messages.c.user_name, func.count())
        .where(chat_messages.c.class_id == class_id, chat_messages.c.deleted_at.is_(None))
        .group_by(chat_messages.c.user_id, chat_messages.c.user_name)
    )
    total_chat = 0
    for user_id, name, count in chat.all():
        person(user_id, name)["chat_messages"] += count
        total_chat += count

    asked = (
        await conn.execute(
            select(
                questions.c.user_id,
                questions.c.user_name,
                questions.c.anonymous,
                questions.c.answered_at,
                questions.c.votes,
            ).where(questions.c.class_id == class_id)
        )
    ).all()
    for q in asked:
        if not q.anonymous:
            person(q.user_id, q.user_name)["questions_asked"] += 1

    upvotes = await conn.execute(
        select(question_votes.c.user_id, func.count())
        .select_from(question_votes.join(questions, questions.c.id == question_votes.c.question_id))
        .where(questions.c.class_id == class_id)
        .group_by(question_votes.c.user_id)
    )
    total_upvotes = 0
    for user_id, count in upvotes.all():
        person(user_id, user_id)["upvotes_given"] += count
        total_upvotes += count

    class_polls = {
        p.id: p
        for p in (
            await conn.execute(
                select(polls.c.id, polls.c.kind, polls.c.anonymous, polls.c.correct).where(
                    polls.c.class_id == class_id
                )
            )
        ).all()
    }
    quizzes = sum(1 for p in class_polls.values() if p.correct is not None and not p.anonymous)
    ballots = (
        await conn.execute(
            select(
                poll_votes.c.poll_id,
                poll_votes.c.user_id,
                poll_votes.c.user_name,
                poll_votes.c.choice,
            )
            .select_from(poll_votes.join(polls, polls.c.id == poll_votes.c.poll_id))
            .where(polls.c.class_id == class_id)
        )
    ).all()
    anonymous_responses = 0
    for ballot in ballots:
        poll = class_polls[ballot.poll_id]
        if poll.anonymous:
            anonymous_responses += 1
            continue
        counts = person(ballot.user_id, ballot.user_name)
        counts["poll_responses"] += 1
        if is_correct(poll.kind, poll.correct, ballot.choice):
            counts["quiz_correct"] += 1

    participants: list[ReportParticipant] = []
    seen: set[str] = set()
    for a in attendance:
        key = ("user", a.user_id) if a.user_id is not None else ("guest", a.name)
        counts = people.get(key, Counter()) if a.user_id is not None else Counter()
        if a.user_id is not None:
            seen.add(a.user_id)
        participants.append(_participant(a.user_id, a.name, a.enrolled, a, counts, quizzes))
    others = [user_id for _, user_id in people if user_id not in seen]
    known = dict(
        (
            await conn.execute(
                select(users.c.user_id, users.c.name).where(
                    users.c.org_id == row["org_id"], users.c.user_id.in_(others)
                )
            )
        ).all()
    )
    for user_id in others:
        name = known.get(user_id) or names[("user", user_id)]
        participants.append(
            _participant(user_id, name, False, None, people[("user", user_id)], quizzes)
        )

    start = row["actual_start"]
    end = row["actual_end"] or (now if row["status"] == "live" else start)
    duration = int((end - start).total_seconds()) if start is not None and end else 0
    intervals = (
        await conn.execute(
            select(_iv.user_id, _iv.guest_key, _iv.started_at, _iv.ended_at).where(
                _iv.class_id == class_id
            )
        )
    ).all()
    spans: dict[str, list[Interval]] = defaultdict(list)
    for user_id, guest_key, started, ended in intervals:
        spans[user_id or f"guest:{guest_key}"].append(Interval(started, ended))
    totals = ReportTotals(
        participants=sum(1 for p in participants if p.attended_seconds or _active(p)),
        peak_online=peak_online(spans, now=now),
        duration_seconds=duration,
        chat_messages=total_chat,
        messages_per_minute=per_minute(total_chat, duration),
        questions_asked=len(asked),
        anonymous_questions=sum(1 for q in asked if q.anonymous),
        questions_answered=sum(1 for q in asked if q.answered_at is not None),
        upvotes=total_upvotes,
        polls=len(class_polls),
        poll_responses=len(ballots),
        anonymous_poll_responses=anonymous_responses,
    )
    return ClassReport(
        class_id=class_id,
        title=row["title"],
        status=row["status"],
        scheduled_start=row["scheduled_start"],
        scheduled_end=row["scheduled_end"],
        actual_start=row["actual_start"],
        actual_end=row["actual_end"],
        generated_at=now,
        totals=totals,
        participants=participants,
    )


def _participant(
    user_id: str | None,
    name: str,
    enrolled: bool,
    attendance: AttendanceRow | None,
    counts: dict[str, int],
    quizzes: int,
) -> ReportParticipant:
    return ReportParticipant(
        user_id=user_id,
        name=name,
        enrolled=enrolled,
        attended_seconds=attendance.attended_seconds if attendance else 0,
        attended_percent=attendance.attended_percent if attendance else 0.0,
        attendance_status=attendance.status if attendance else AttendanceStatus.ABSENT.value,
        chat_messages=counts.get("chat_messages", 0),
        questions_asked=counts.get("questions_asked", 0),
        upvotes_given=counts.get("upvotes_given", 0),
        poll_responses=counts.get("poll_responses", 0),
        quiz_correct=counts.get("quiz_correct", 0),
        quiz_asked=quizzes,
    )


def _active(p: ReportParticipant) -> bool:
    return bool(p.chat_messages or p.questions_asked or p.upvotes_given or p.poll_responses)


async def finalize_attendance(
    conn: AsyncConnection, class_id: str, *, at: datetime, present_percent: float
) -> None:
    """Queue ``attendance.finalized``: the attendance and the class report as they now stand.

    Called where a class's attendance is complete: at its end for providers
    without an attendance report, after the report is reconciled for the rest.
    """
    row = (await conn.execute(select(live_classes).where(_lc.id == class_id))).mappings().one()
    report = await _report_of(conn, row, now=at, present_percent=present_percent)
    attendance = await attendance_rows(conn, row, now=at, present_percent=present_percent)
    await emit_class(
        conn,
        class_id,
        EventType.ATTENDANCE_FINALIZED,
        at=at,
        extra={
            "attendance": [r.model_dump(mode="json") for r in attendance],
            "report": report.model_dump(mode="json", exclude={"class_id", "title", "status"}),
        },
    )
