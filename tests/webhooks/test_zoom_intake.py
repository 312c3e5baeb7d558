"""The Zoom webhook endpoint: signatures, validation, storage before the 2xx, dedup."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from sqlalchemy import func, select

from server.db.tables import webhook_events
from tests.fakes.zoom_webhooks import ZoomWebhookSender
from tests.support.backends import ZOOM_WEBHOOK_SECRET, Backend
from tests.support.platform import Platform
from tests.support.servers import serve_app
from tests.support.zoom import ZoomDriver


async def stored(platform: Platform) -> int:
    db = platform.server.state.ctx.db
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(webhook_events)) or 0)


async def test_url_validation_is_answered_with_the_hmac_of_the_plain_token(
    platform: Platform,
) -> None:
    zoom = ZoomDriver.for_platform(platform)
    before = await stored(platform)
    answer = await zoom.send(zoom.sender.url_validation("qgg8vlvZRS6UYooatFL8Aw"))
    assert answer.status_code == 200
    expected = hmac.new(
        ZOOM_WEBHOOK_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
    ).hexdigest()
    assert answer.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert await stored(platform) == before


async def test_bad_signatures_and_stale_timestamps_store_nothing(platform: Platform) -> None:
    zoom = ZoomDriver.for_platform(platform)
    body = zoom.sender.encode(zoom.sender.url_validation("abc"))
    before = await stored(platform)
    good = zoom.sender.headers(body, request_id="r1")
    cases = [
        {**good, "x-zm-signature": "v0=" + "0" * 64},
        {k: v for k, v in good.items() if k != "x-zm-signature"},
        {k: v for k, v in good.items() if k != "x-zm-request-timestamp"},
        zoom.sender.headers(body, request_id="r2", timestamp=int(time.time()) - 301),
        {**good, "x-zm-request-timestamp": "yesterday"},
    ]
    for headers in cases:
        refused = await platform.http.post(zoom.url, content=body, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "unauthorized"
    tampered = await platform.http.post(zoom.url, content=body + b" ", headers=good)
    assert tampered.status_code == 401
    assert await stored(platform) == before


async def test_malformed_json_with_a_good_signature_is_kept_as_rejected(
    platform: Platform,
) -> None:
    zoom = ZoomDriver.for_platform(platform)
    before = await stored(platform)
    for raw in (b'{"event": "meeting.started", "payload": ', b'["not", "an", "event"]'):
        answer = await zoom.send(raw)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "bad_request"
    assert await stored(platform) == before + 2
    failed = await platform.call(
        "GET",
        "/api/admin/webhook-events?status=rejected&limit=100",
        platform.person("root", "Operator", platform.admin.role, org="operator"),
    )
    bodies = [e["payload"] for e in failed.json()["data"]]
    assert failed.status_code == 200 and None in bodies


async def test_unknown_events_are_stored_and_acknowledged_without_effect(
    platform: Platform,
) -> None:
    zoom = ZoomDriver.for_platform(platform)
    body = {"event": "meeting.sharing_started", "event_ts": 1, "payload": {"object": {"id": "1"}}}
    row = await zoom.deliver(body)
    assert row["status"] == "ignored"
    assert "no effect" in row["note"]


async def test_a_redelivered_event_is_stored_once(platform: Platform) -> None:
    zoom = ZoomDriver.for_platform(platform)
    body = {
        "event": "meeting.alert",
        "event_ts": 5,
        "payload": {"object": {"id": "9", "uuid": "u"}},
    }
    first = await zoom.send(body)
    second = await zoom.send(json.dumps(body, separators=(",", ":")).encode())
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["duplicate"] is False
    assert second.json()["data"] == {"id": first.json()["data"]["id"], "duplicate": True}


async def test_oversized_bodies_are_refused(platform: Platform) -> None:
    zoom = ZoomDriver.for_platform(platform)
    huge = b'{"event":"x","pad":"' + b"a" * platform.server.settings.max_body_bytes + b'"}'
    answer = await zoom.send(huge)
    assert answer.status_code == 413


async def test_an_event_that_cannot_be_stored_gets_503_so_zoom_retries(backend: Backend) -> None:
    settings = backend.settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    sender = ZoomWebhookSender(ZOOM_WEBHOOK_SECRET)
    body = {"event": "meeting.started", "event_ts": 1, "payload": {"object": {"id": "1"}}}
    async with serve_app(settings) as live:
        answer = await sender.send(f"{live.url}/api/zoom/webhook", body)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "unavailable"
