"""E-mail for notifications: a plain-text and an HTML part, times in the class's zone."""

from __future__ import annotations

import html
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib
from sqlalchemy import RowMapping

from ..domain.wording import local_time
from ..settings import Settings

__all__ = ["SmtpSender", "compose"]


def compose(
    notification: RowMapping,
    klass: RowMapping | None,
    *,
    to: str,
    sender: str,
    now: datetime,
) -> EmailMessage:
    details: list[tuple[str, str]] = []
    if klass is not None:
        details.append(("Class", klass["title"]))
        details.append(("When", local_time(klass["scheduled_start"], klass["timezone"])))
        if klass["status"] != "cancelled" and klass["join_url"]:
            details.append(("Join", klass["join_url"]))
    message = EmailMessage()
    message["Subject"] = notification["title"]
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "liveclass"
    message["Message-ID"] = make_msgid(idstring=notification["id"], domain=domain)
    text = "\n".join([notification["body"], "", *(f"{label}: {value}" for label, value in details)])
    message.set_content(text.rstrip() + "\n")
    rows = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{_html_value(label, value)}</td></tr>'
        for label, value in details
    )
    message.add_alternative(
        "<!doctype html><html><body>"
        f"<p>{html.escape(notification['body'])}</p>"
        + (f"<table>{rows}</table>" if rows else "")
        + "</body></html>",
        subtype="html",
    )
    return message


def _html_value(label: str, value: str) -> str:
    escaped = html.escape(value)
    return f'<a href="{escaped}">{escaped}</a>' if label == "Join" else escaped


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return self._settings.smtp_host is not None

    async def send(self, message: EmailMessage) -> None:
        settings = self._settings
        assert settings.smtp_host is not None
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )
