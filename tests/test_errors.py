"""The one error tree, mapped once to HTTP envelopes and once to socket acks."""

from __future__ import annotations

import pytest

from server.errors import (
    BadRequest,
    Closed,
    Conflict,
    Forbidden,
    InvalidState,
    LiveclassError,
    NotFound,
    PayloadTooLarge,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
    ack_body,
    http_body,
)
from server.schemas.common import ErrorEnvelope

CASES: list[tuple[LiveclassError, int, str, str]] = [
    (BadRequest("b", details={"title": "required"}), 400, "bad_request", "bad_request"),
    (Unauthorized("u"), 401, "unauthorized", "unauthorized"),
    (Forbidden("f"), 403, "forbidden", "forbidden"),
    (NotFound("n"), 404, "not_found", "not_found"),
    (Conflict("c"), 409, "conflict", "conflict"),
    (PayloadTooLarge("p"), 413, "payload_too_large", "bad_request"),
    (InvalidState("i"), 422, "invalid_state", "conflict"),
    (Closed("x"), 422, "invalid_state", "closed"),
    (RateLimited("r", retry_after=3), 429, "rate_limited", "rate_limited"),
    (ProviderError("z", provider="zoom"), 502, "provider_error", "internal"),
    (Unavailable("d"), 503, "unavailable", "internal"),
]


@pytest.mark.parametrize(("error", "status", "http_code", "socket_code"), CASES)
def test_each_error_maps_to_its_status_envelope_and_ack(
    error: LiveclassError, status: int, http_code: str, socket_code: str
) -> None:
    assert error.status == status
    envelope = http_body(error)
    assert envelope["success"] is False
    assert envelope["error"]["code"] == http_code
    assert envelope["error"]["message"] == error.message
    extra = {"retry_after": 3} if isinstance(error, RateLimited) else {}
    assert ack_body(error) == {
        "ok": False,
        "error": {"code": socket_code, "message": error.message, **extra},
    }


def test_details_survive_and_closed_says_why_over_http() -> None:
    assert http_body(BadRequest("b", details={"title": "required"}))["error"]["details"] == {
        "title": "required"
    }
    assert http_body(Closed("chat is off"))["error"]["details"] == {"reason": "closed"}
    assert "details" not in http_body(NotFound("n"))["error"]


def test_details_are_text_as_the_schema_says() -> None:
    error = ProviderError("zoom answered 429", provider="zoom", details={"status": 429, "x": None})
    assert http_body(error)["error"]["details"] == {"status": "429"}
    assert ErrorEnvelope.model_validate(http_body(error))


@pytest.mark.parametrize(("wait", "seconds"), [(0.0, 1), (0.2, 1), (1.5, 2), (4.0, 4)])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, seconds: int) -> None:
    ack = ack_body(RateLimited("slow down", retry_after=wait))
    assert ack["error"]["retry_after"] == seconds
