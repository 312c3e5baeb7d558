"""Two app instances on one database (as two processes), a clock the test moves, and a
local SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller

from tests.fakes.serving import free_port
from tests.support.backends import Backend
from tests.support.clock import FakeClock
from tests.support.platform import Platform
from tests.support.servers import LiveServer, serve_app


@dataclass
class Inbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@dataclass
class Pair:
    """Two instances of the app on one database, sharing one fake clock."""

    first: LiveServer
    second: LiveServer
    clock: FakeClock
    smtp_port: int

    async def pass_both(self, rounds: int = 3) -> None:
        """Both instances plan and mail at the same moment, a few times over."""
        workers = [s.state.reminders for s in (self.first, self.second)]
        for _ in range(rounds):
            await asyncio.gather(*(w.run_once() for w in workers))


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pair(backend: Backend, smtp: tuple[Inbox, int]) -> AsyncIterator[Pair]:
    inbox, port = smtp
    # One SMTP server for the module; each backend's run starts with an empty inbox.
    inbox.messages.clear()
    inbox.recipients.clear()
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    async with backend.fresh() as own:
        settings = own.settings(
            # The test drives the passes itself (both instances at once).
            reminder_worker=False,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_from="Live Classes <classes@school.example>",
            smtp_timeout_seconds=5,
        )
        async with serve_app(settings) as first, serve_app(settings) as second:
            for live in (first, second):
                live.state.ctx.clock = clock
            yield Pair(first, second, clock, port)


@pytest_asyncio.fixture(loop_scope="session")
async def world(pair: Pair) -> AsyncIterator[Platform]:
    async with Platform.create(pair.first, org=f"org-{secrets.token_hex(4)}") as platform:
        # Their e-mail addresses become known when their tokens are first used to write.
        for student in platform.students:
            response = await platform.call(
                "POST", "/api/calendar-feeds", student, json={"kind": "person"}
            )
            assert response.status_code == 201, response.text
        yield platform
