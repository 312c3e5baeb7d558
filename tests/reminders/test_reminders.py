"""Reminders and notices: exactly once per person and offset across two instances, none
for cancelled classes, re-planned when a class moves, e-mailed with both parts."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.db.tables import mail_deliveries
from server.reminders.mail import SmtpSender
from server.reminders.mailer import Mailer
from server.reminders.planner import ReminderPlanner
from tests.reminders.conftest import Inbox, Pair
from tests.support.platform import Person, Platform


async def kinds(world: Platform, who: Person, class_id: str) -> list[str]:
    response = await world.call("GET", "/api/notifications", who, params={"limit": 100})
    assert response.status_code == 200, response.text
    return sorted(n["kind"] for n in response.json()["data"] if n["class_id"] == class_id)


def mails_to(inbox: Inbox, address: str, subject_start: str) -> list[EmailMessage]:
    return [
        m
        for m, rcpt in zip(inbox.messages, inbox.recipients, strict=True)
        if address in rcpt and str(m["Subject"]).startswith(subject_start)
    ]


async def schedule(world: Platform, pair: Pair, *, after: timedelta, **fields: Any) -> str:
    start = pair.clock.now + after
    klass = await world.schedule(
        scheduled_start=start.isoformat(),
        scheduled_end=(start + timedelta(hours=1)).isoformat(),
        **fields,
    )
    return str(klass["id"])


async def test_each_person_gets_each_reminder_once_by_mail_too(
    world: Platform, pair: Pair, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    people = [world.mentor, *world.students]
    class_id = await schedule(
        world,
        pair,
        after=timedelta(hours=24, minutes=30),
        timezone="America/New_York",
        title="Exactly once",
    )
    await pair.pass_both()
    assert [await kinds(world, p, class_id) for p in people] == [[], [], []]

    pair.clock.advance(minutes=31)
    await pair.pass_both()
    assert [await kinds(world, p, class_id) for p in people] == [["class_reminder"]] * 3

    pair.clock.advance(hours=23, minutes=50)  # 9 minutes before the start
    await pair.pass_both()
    assert [await kinds(world, p, class_id) for p in people] == [["class_reminder"] * 2] * 3

    sam = world.students[0]
    address = f"{sam.user_id}@example.com"
    for person in people:
        assert len(mails_to(inbox, f"{person.user_id}@example.com", "Reminder: Exactly once")) == 2
    reminders = mails_to(inbox, address, "Reminder: Exactly once")
    mail = reminders[-1]
    assert mail["From"] == "Live Classes <classes@school.example>"
    assert mail["To"] == address and mail["Message-ID"] and mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    page = mail.get_body(("html",))
    assert text is not None and page is not None
    plain, html = text.get_content(), page.get_content()
    start = pair.clock.now + timedelta(minutes=9)
    local = start.astimezone(ZoneInfo("America/New_York"))
    wall = f"{local:%H:%M %Z} (America/New_York)"
    assert "starts in 9 minutes" in plain and wall in plain and wall in html
    assert html.lstrip().startswith("<!doctype html>") and "<table>" in html


def _links(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    return body.get_content() if body is not None else ""


async def test_cancelled_classes_get_notices_not_reminders_and_moves_are_replanned(
    world: Platform, pair: Pair, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    sam = world.students[0]
    address = f"{sam.user_id}@example.com"
    cancelled = await schedule(world, pair, after=timedelta(hours=30), title="Dropped")
    moved = await schedule(world, pair, after=timedelta(hours=30), title="Shifted")
    gone = await world.call("DELETE", f"/api/live-classes/{cancelled}", world.mentor)
    assert gone.status_code == 200
    new_start = pair.clock.now + timedelta(hours=40)
    shifted = await world.call(
        "PATCH",
        f"/api/live-classes/{moved}",
        world.mentor,
        json={
            "scheduled_start": new_start.isoformat(),
            "scheduled_end": (new_start + timedelta(hours=1)).isoformat(),
        },
    )
    assert shifted.status_code == 200, shifted.text
    pair.clock.advance(hours=7)  # the old 24 h mark of both: nothing is due any more
    await pair.pass_both()
    assert await kinds(world, sam, cancelled) == ["class_cancelled"]
    assert await kinds(world, sam, moved) == ["class_rescheduled"]
    assert len(mails_to(inbox, address, "Cancelled: Dropped")) == 1
    notice = mails_to(inbox, address, "Moved: Shifted")
    assert len(notice) == 1 and "now starts on" in _links(notice[0])

    pair.clock.advance(hours=10)  # 23 h before the new start
    await pair.pass_both()
    assert await kinds(world, sam, cancelled) == ["class_cancelled"]
    assert await kinds(world, sam, moved) == ["class_reminder", "class_rescheduled"]
    assert len(mails_to(inbox, address, "Reminder: Shifted")) == 1


async def test_mail_is_retried_when_the_smtp_server_is_unreachable(
    world: Platform, pair: Pair, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    ctx = pair.first.state.ctx
    await schedule(world, pair, after=timedelta(hours=5), title="Retry me")
    unreachable = ctx.settings.model_copy(update={"smtp_port": port + 1 if port < 65535 else 1})
    down = Mailer(ctx, SmtpSender(unreachable))
    await ReminderPlanner(ctx).run_once()
    assert await down.run_once() == 0
    async with ctx.db.read() as conn:
        rows = (
            (await conn.execute(select(mail_deliveries).where(mail_deliveries.c.status != "sent")))
            .mappings()
            .all()
        )
    pending = [r for r in rows if r["status"] == "pending" and r["attempts"] == 1]
    assert pending and all(r["last_error"] for r in pending)
    before = len(inbox.messages)
    await pair.pass_both()
    assert len(inbox.messages) == before  # not due yet: a minute of backoff
    pair.clock.advance(seconds=61)
    await pair.pass_both()
    assert (
        len(mails_to(inbox, f"{world.students[0].user_id}@example.com", "Reminder: Retry me")) == 1
    )
