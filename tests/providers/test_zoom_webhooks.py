"""Zoom webhook signatures (known-answer vectors) and the fake webhook sender."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.errors import Unauthorized
from server.providers.zoom_webhooks import sign, url_validation_response, verify_signature
from tests.fakes.zoom_webhooks import ZoomMeetingFacts, ZoomParticipant, ZoomWebhookSender
from tests.support.servers import serve_asgi

from .conftest import Sleeps

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "zoom_signature_vectors.json").read_text("utf-8")
)
SECRET = "webhook-secret-token"
# Non-ASCII on purpose: Zoom sends raw UTF-8, and the signature covers those bytes.
TOPIC = "Algebra \u2013 \u2019quotes\u2019 \U0001f692"


@pytest.mark.parametrize("vector", VECTORS["known_answer_tests"])
def test_signature_vectors(vector: dict[str, str]) -> None:
    raw = vector["raw_body"].encode("utf-8")
    stamp = vector["x_zm_request_timestamp"]
    assert sign(vector["secret_token"], stamp, raw) == vector["expected_x_zm_signature"]
    verify_signature(
        vector["secret_token"],
        stamp,
        vector["expected_x_zm_signature"],
        raw,
        now=float(stamp) + 10,
        tolerance=300,
    )


def test_signature_is_over_raw_bytes_not_reserialised_json() -> None:
    vector = VECTORS["known_answer_tests"][1]
    reserialised = json.dumps(json.loads(vector["raw_body"]), separators=(",", ":")).encode()
    with pytest.raises(Unauthorized, match="invalid Zoom signature"):
        verify_signature(
            vector["secret_token"],
            vector["x_zm_request_timestamp"],
            vector["expected_x_zm_signature"],
            reserialised,
            now=float(vector["x_zm_request_timestamp"]),
            tolerance=300,
        )


def test_url_validation_vector() -> None:
    vector = VECTORS["url_validation_known_answer_test"]
    assert url_validation_response(vector["secret_token"], vector["plainToken"]) == {
        "plainToken": vector["plainToken"],
        "encryptedToken": vector["expected_encryptedToken"],
    }


@pytest.mark.parametrize(
    ("stamp", "signature", "now", "message"),
    [
        (None, "v0=00", 1000.0, "missing"),
        ("1000", None, 1000.0, "missing"),
        ("10x0", "v0=00", 1000.0, "malformed"),
        ("1000", "v0=00", 1000.0, "invalid Zoom signature"),
        ("1000", "v0=ünïcode", 1000.0, "invalid Zoom signature"),
        ("1000", "GOOD", 1301.0, "stale"),
        ("1000", "GOOD", 699.0, "stale"),
    ],
)
def test_bad_signatures_are_refused(
    stamp: str | None, signature: str | None, now: float, message: str
) -> None:
    body = b'{"event":"meeting.started"}'
    if signature == "GOOD":
        signature = sign(SECRET, str(stamp), body)
    with pytest.raises(Unauthorized, match=message):
        verify_signature(SECRET, stamp, signature, body, now=now, tolerance=300)


def meeting() -> ZoomMeetingFacts:
    return ZoomMeetingFacts(
        id=85393847045,
        uuid="jUh5o3dKQIytvcsfTtKBlg==",
        host_id="8lzIwvZTSOqjndWPbPqzuA",
        topic=TOPIC,
        start_time=datetime(2026, 1, 5, 15, 0, tzinfo=UTC),
        timezone="Europe/Paris",
    )


async def test_sender_events_verify_at_a_receiver() -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    status = {"code": 200}

    async def receiver(request: Request) -> Response:
        raw = await request.body()
        verify_signature(
            SECRET,
            request.headers.get("x-zm-request-timestamp"),
            request.headers.get("x-zm-signature"),
            raw,
            now=time.time(),
            tolerance=300,
        )
        received.append((dict(request.headers), raw))
        body = json.loads(raw)
        if body["event"] == "endpoint.url_validation":
            return JSONResponse(url_validation_response(SECRET, body["payload"]["plainToken"]))
        return Response(status_code=status["code"])

    app = Starlette(routes=[Route("/hook", receiver, methods=["POST"])])
    sender = ZoomWebhookSender(SECRET)
    who = ZoomParticipant(user_id="16778240", user_name="Ann Lee", email="ann@example.com")
    start = meeting().start_time
    files = sender.recording_files(meeting())
    async with serve_asgi(app, lifespan="off") as url:
        validation = await sender.send(f"{url}/hook", sender.url_validation("plain-1"))
        assert validation.json() == url_validation_response(SECRET, "plain-1")
        for body in (
            sender.meeting_started(meeting()),
            sender.participant_joined(meeting(), who, start),
            sender.participant_left(meeting(), who, start + timedelta(minutes=40)),
            sender.meeting_ended(meeting(), start + timedelta(minutes=55)),
            sender.recording_completed(meeting(), files, "dl-token"),
            sender.transcript_completed(meeting(), "dl-token", "https://zoom.example"),
            sender.recording_trashed(meeting(), files, "dl-token"),
            sender.recording_deleted(meeting(), files),
        ):
            assert (await sender.send(f"{url}/hook", body)).status_code == 200

    headers, raw = received[1]
    assert headers["user-agent"] == "Zoom Marketplace/1.0a"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert len(headers["x-zm-request-timestamp"]) == 10  # seconds, not milliseconds
    assert TOPIC.encode() in raw  # raw UTF-8, as Zoom sends
    events = [json.loads(raw) for _, raw in received]
    assert [e["event"] for e in events[1:]] == [
        "meeting.started",
        "meeting.participant_joined",
        "meeting.participant_left",
        "meeting.ended",
        "recording.completed",
        "recording.transcript_completed",
        "recording.trashed",
        "recording.deleted",
    ]
    assert events[1]["payload"]["object"]["id"] == "85393847045"  # string in meeting.*
    completed = events[5]
    assert completed["payload"]["object"]["id"] == 85393847045  # number in recording.*
    assert completed["download_token"] == "dl-token"
    cc = [f for f in completed["payload"]["object"]["recording_files"] if f["file_type"] == "CC"]
    assert cc and "id" not in cc[0] and "file_size" not in cc[0]
    assert events[7]["payload"]["operator"] and events[7]["download_token"]
    assert "download_token" not in events[8] and events[8]["payload"]["operator_id"]
    assert events[3]["payload"]["object"]["participant"]["leave_reason"]


async def test_delivery_retries_only_on_5xx() -> None:
    answers = [503, 500, 200]

    async def receiver(request: Request) -> Response:
        return Response(status_code=answers.pop(0) if answers else 200)

    app = Starlette(routes=[Route("/hook", receiver, methods=["POST"])])
    sleeps = Sleeps()
    sender = ZoomWebhookSender(SECRET, sleep=sleeps)
    async with serve_asgi(app, lifespan="off") as url:
        outcomes = await sender.deliver(f"{url}/hook", sender.meeting_started(meeting()))
        assert outcomes == [503, 500, 200]
        assert sleeps.waits == [300.0, 1200.0]

        answers[:] = [429]
        assert await sender.deliver(f"{url}/hook", sender.meeting_started(meeting())) == [429]
        answers[:] = [500, 500, 500, 500]
        scaled = await sender.deliver(
            f"{url}/hook", sender.meeting_started(meeting()), time_scale=60
        )
        assert scaled == [500, 500, 500, 500]
        assert sleeps.waits[-3:] == [5.0, 20.0, 60.0]
