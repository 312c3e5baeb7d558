"""Jitsi rooms: unguessable names on the configured domain, per-user JWTs when configured."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from server.providers.base import Attendee, MeetingRequest
from server.providers.jitsi import JitsiProvider, room_name

START = datetime.now(UTC) + timedelta(hours=1)
REQUEST = MeetingRequest(
    class_id="c1",
    org_id="acme",
    title="Graphs & Trees: Día 1!",
    description=None,
    start=START,
    end=START + timedelta(hours=1),
    timezone="UTC",
    auto_recording="none",
    host_user_id="m1",
)
STUDENT = Attendee(user_id="s1", name="Sam", email=None, is_host=False)
HOST = Attendee(user_id="m1", name="Grace", email="grace@example.com", is_host=True)


def test_room_names_are_slugs_with_80_random_bits() -> None:
    names = {room_name("Graphs & Trees: Día 1!") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert re.fullmatch(r"graphs-trees-dia-1-[0-9a-f]{20}", name)
    assert re.fullmatch(r"class-[0-9a-f]{20}", room_name("!!!"))


async def test_open_deployment_links_need_no_token() -> None:
    provider = JitsiProvider("meet.example.org")
    meeting = await provider.create_meeting(REQUEST)
    assert meeting.join_url == f"https://meet.example.org/{meeting.meeting_id}"
    assert provider.join_link(meeting, STUDENT) == meeting.join_url


async def test_token_deployment_links_carry_the_documented_claims() -> None:
    provider = JitsiProvider(
        "meet.example.org", app_id="lms", app_secret="s" * 32, audience="jitsi"
    )
    meeting = await provider.create_meeting(REQUEST)
    link = provider.join_link(meeting, HOST)
    base, _, token = link.partition("?jwt=")
    assert base == meeting.join_url
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"], audience="jitsi")
    assert claims["iss"] == "lms"
    assert claims["sub"] == "meet.example.org"
    assert claims["room"] == meeting.meeting_id
    assert claims["context"]["user"] == {
        "id": "m1",
        "name": "Grace",
        "email": "grace@example.com",
        "affiliation": "owner",
    }
    assert claims["exp"] > (REQUEST.end + timedelta(hours=1)).timestamp()
    student = jwt.decode(
        provider.join_link(meeting, STUDENT).partition("?jwt=")[2],
        "s" * 32,
        algorithms=["HS256"],
        audience="jitsi",
    )
    # Jitsi rejects null or non-string user fields.
    assert student["context"]["user"] == {"id": "s1", "name": "Sam", "email": ""}


async def test_rescheduling_extends_the_token_lifetime() -> None:
    provider = JitsiProvider("meet.example.org", app_id="lms", app_secret="s" * 32)
    meeting = await provider.create_meeting(REQUEST)
    later = MeetingRequest(**{**REQUEST.__dict__, "end": REQUEST.end + timedelta(days=3)})
    moved = await provider.update_meeting(meeting, later)
    assert moved.join_url == meeting.join_url
    token = provider.join_link(moved, STUDENT).partition("?jwt=")[2]
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"], audience="jitsi")
    assert claims["exp"] > later.end.timestamp()


@pytest.mark.parametrize("title", ["", "   ", "日本語"])
def test_titles_without_latin_letters_still_give_a_room(title: str) -> None:
    assert room_name(title).startswith("class-")
