"""The e-mail outbox: notifications of the mailed kinds become ``mail_deliveries`` rows,
sent over SMTP with retries: one mail per notification (a second one only if a process
dies between the SMTP server's acceptance and recording it, when the lease runs out).

Taking a notification is an ``INSERT`` keyed by its id (a second process's
insert does nothing); sending is claimed by a conditional update with a
lease, as the webhook workers do.  Only notifications younger than a day are
taken, so switching SMTP on does not mail old news.  A person whose address
liveclass never saw (no token with an ``email`` yet) is ``skipped``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db.database import upsert_in
from ..db.tables import live_classes, mail_deliveries, notifications, users
from ..services.context import ServiceContext
from .mail import SmtpSender, compose

__all__ = ["MAILED_KINDS", "Mailer"]

log = logging.getLogger("liveclass.mail")

MAILED_KINDS = ("class_reminder", "class_cancelled", "class_rescheduled")
MAX_AGE = timedelta(days=1)
RETRY_BASE_SECONDS = 60
_m = mail_deliveries.c
_n = notifications.c


class Mailer:
    def __init__(self, ctx: ServiceContext, sender: SmtpSender) -> None:
        self._ctx = ctx
        self._sender = sender
        self._lease = timedelta(seconds=2 * ctx.settings.smtp_timeout_seconds + 5)

    async def run_once(self) -> int:
        """Queue new notifications and send what is due; returns how many were sent."""
        if not self._sender.configured:
            return 0
        now = self._ctx.clock()
        async with self._ctx.db.write() as conn:
            await self._queue_new(conn, now)
        due = or_(
            and_(_m.status == "pending", _m.next_attempt_at <= now),
            and_(_m.status == "sending", _m.lease_until < now),
        )
        async with self._ctx.db.write() as conn:
            claimed = (
                await conn.execute(
                    update(mail_deliveries)
                    .where(
                        _m.notification_id.in_(
                            select(_m.notification_id)
                            .where(due)
                            .limit(50)
                            .with_for_update(skip_locked=True)
                            .scalar_subquery()
                        ),
                        due,
                    )
                    .values(
                        status="sending", lease_until=now + self._lease, attempts=_m.attempts + 1
                    )
                    .returning(_m.notification_id, _m.to_address, _m.attempts)
                )
            ).all()
        sent = 0
        for notification_id, to_address, attempts in claimed:
            sent += await self._send(notification_id, to_address, attempts)
        return sent

    async def _queue_new(self, conn: AsyncConnection, now: datetime) -> None:
        fresh = (
            select(
                _n.id,
                _n.org_id,
                _n.user_id,
                users.c.email,
                literal("pending"),
                literal(0),
                literal(now, type_=_m.next_attempt_at.type),
                literal(now, type_=_m.created_at.type),
            )
            .select_from(
                notifications.outerjoin(
                    users, and_(users.c.org_id == _n.org_id, users.c.user_id == _n.user_id)
                )
            )
            .where(
                _n.kind.in_(MAILED_KINDS),
                _n.created_at >= now - MAX_AGE,
                ~select(_m.notification_id).where(_m.notification_id == _n.id).exists(),
            )
        )
        await conn.execute(
            upsert_in(conn.dialect.name, mail_deliveries)
            .from_select(
                [
                    "notification_id",
                    "org_id",
                    "user_id",
                    "to_address",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
                fresh,
            )
            .on_conflict_do_nothing()
        )
        await conn.execute(
            update(mail_deliveries)
            .where(_m.status == "pending", or_(_m.to_address.is_(None), _m.to_address == ""))
            .values(status="skipped", last_error="no e-mail address known")
        )

    async def _send(self, notification_id: str, to_address: str, attempts: int) -> int:
        now = self._ctx.clock()
        async with self._ctx.db.read() as conn:
            notification = (
                (await conn.execute(select(notifications).where(_n.id == notification_id)))
                .mappings()
                .one()
            )
            klass = (
                (
                    await conn.execute(
                        select(live_classes).where(live_classes.c.id == notification["class_id"])
                    )
                )
                .mappings()
                .first()
            )
        message = compose(
            notification, klass, to=to_address, sender=self._ctx.settings.smtp_from, now=now
        )
        try:
            await self._sender.send(message)
        except Exception as exc:
            give_up = attempts >= self._ctx.settings.mail_max_attempts
            delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))
            async with self._ctx.db.write() as conn:
                await conn.execute(
                    update(mail_deliveries)
                    .where(_m.notification_id == notification_id)
                    .values(
                        status="failed" if give_up else "pending",
                        next_attempt_at=now + delay,
                        lease_until=None,
                        last_error=f"{type(exc).__name__}: {exc}"[:500],
                    )
                )
            log.warning("mail %s attempt %d failed: %s", notification_id, attempts, exc)
            return 0
        async with self._ctx.db.write() as conn:
            await conn.execute(
                update(mail_deliveries)
                .where(_m.notification_id == notification_id)
                .values(status="sent", sent_at=now, lease_until=None, last_error=None)
            )
        return 1
