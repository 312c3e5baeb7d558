"""Retries, Retry-After, limits and timeouts, through the fake Zoom and a fake Google."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.errors import ProviderError
from server.providers.credentials import InMemoryCredentialStore
from server.providers.transport import RetryPolicy, parse_retry_after

from .conftest import GoogleRig, Sleeps, ZoomRig, zoom_client

ORG = "org-1"
NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("0.25", 0.25),
        ("2026-01-05T12:00:30Z", 30.0),
        ("2026-01-05T12:00:30", 30.0),
        ("2026-01-05T13:00:30+01:00", 30.0),
        ("Mon, 05 Jan 2026 12:01:00 GMT", 60.0),
        ("2020-05-31T00:00:00Z", 0.0),
        ("-3", 0.0),
    ],
)
def test_retry_after_formats(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("value", ["", "soon", "Mon, 99 Foo"])
def test_unreadable_retry_after(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


async def test_429_with_iso_retry_after_waits_as_told(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    when = datetime.now(UTC) + timedelta(seconds=6)
    zoom.fake.rate_limit_next(retry_after=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    await zoom.client.get_meeting(ORG, str(created["id"]))
    assert len(zoom.sleeps.waits) == 1 and 4.0 <= zoom.sleeps.waits[0] <= 6.0


async def test_429_without_retry_after_backs_off_exponentially(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    zoom.fake.rate_limit_next(times=3)
    await zoom.client.get_meeting(ORG, str(created["id"]))
    # jitter is pinned at 0.5 of a ceiling that doubles from 0.5 s
    assert zoom.sleeps.waits == [0.25, 0.5, 1.0]


async def test_429_on_create_is_retried(zoom: ZoomRig) -> None:
    zoom.fake.rate_limit_next()
    await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    assert len(zoom.fake.meetings) == 1 and len(zoom.sleeps.waits) == 1


async def test_retry_after_beyond_the_cap_fails_without_sleeping(zoom: ZoomRig) -> None:
    when = datetime.now(UTC) + timedelta(minutes=10)
    zoom.fake.rate_limit_next(retry_after=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    with pytest.raises(ProviderError, match="maximum per-second rate limit") as caught:
        await zoom.client.get_meeting(ORG, "1")
    assert zoom.sleeps.waits == []
    assert 590 <= caught.value.details["retry_after"] <= 600


async def test_5xx_is_retried_then_succeeds(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    zoom.fake.server_error_next(status=503, times=2)
    meeting = await zoom.client.get_meeting(ORG, str(created["id"]))
    assert meeting["id"] == created["id"] and len(zoom.sleeps.waits) == 2


async def test_5xx_exhausted_quotes_the_provider(zoom: ZoomRig) -> None:
    zoom.fake.server_error_next(times=4)
    with pytest.raises(ProviderError) as caught:
        await zoom.client.get_meeting(ORG, "1")
    assert str(caught.value) == "zoom answered 500: Internal Error. Please try again."
    assert caught.value.provider == "zoom"
    assert caught.value.details == {"status": 500, "provider_code": 500}
    assert len(zoom.sleeps.waits) == 3


async def test_create_is_not_repeated_after_a_5xx(zoom: ZoomRig) -> None:
    # A 5xx on POST may hide a created meeting; retrying could create two.
    zoom.fake.server_error_next()
    before = zoom.fake.faults.requests
    with pytest.raises(ProviderError, match="500"):
        await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    assert zoom.fake.faults.requests - before == 1 and zoom.sleeps.waits == []


async def test_daily_limit_is_a_clear_error_and_not_retried(zoom: ZoomRig) -> None:
    zoom.fake.daily_limit = 2
    first = await zoom.client.create_meeting(ORG, "me", {"topic": "a"})
    await zoom.client.update_meeting(ORG, str(first["id"]), {"topic": "b"})
    before = zoom.fake.faults.requests
    with pytest.raises(ProviderError) as caught:
        await zoom.client.create_meeting(ORG, "me", {"topic": "c"})
    message = str(caught.value)
    assert "Zoom daily rate limit reached" in message
    assert "exceeded the daily rate limit (2) of Meeting Create/Update" in message
    assert zoom.fake.faults.requests - before == 1 and zoom.sleeps.waits == []


async def test_timeout_becomes_a_provider_error(zoom: ZoomRig) -> None:
    created = await zoom.client.create_meeting(ORG, "me", {"topic": "t"})
    slow = zoom_client(
        zoom.url,
        zoom.fake,
        store=InMemoryCredentialStore(),
        sleeps=Sleeps(),
        clock=zoom.clock,
        timeout=0.1,
        policy=RetryPolicy(attempts=2),
    )
    await slow.get_meeting(ORG, str(created["id"]))  # token fetched before the API slows
    zoom.fake.faults.delay = 0.3
    try:
        with pytest.raises(ProviderError, match="zoom timed out"):
            await slow.get_meeting(ORG, str(created["id"]))
    finally:
        zoom.fake.faults.delay = 0.0
        await slow.aclose()


async def test_google_429_and_5xx_are_retried(google: GoogleRig) -> None:
    body = {"error": {"code": 429, "message": "Rate Limit Exceeded", "errors": []}}
    google.fake.faults.fail_next(429, body, headers={"Retry-After": "3"})
    google.fake.faults.fail_next(503, {"error": {"code": 503, "message": "Backend Error"}})
    name = google.fake.add_conference("abc-defg-hij")
    records = [r async for r in google.client.conference_records("org", "abc-defg-hij")]
    assert [r["name"] for r in records] == [name]
    assert google.sleeps.waits[0] == 3.0 and len(google.sleeps.waits) == 2


async def test_google_errors_quote_googles_message(google: GoogleRig) -> None:
    with pytest.raises(ProviderError, match="google_meet answered 404: Not Found"):
        await google.client.get_event("org", "nosuchevent")
