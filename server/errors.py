"""The one exception tree of liveclass, mapped once to HTTP and once to socket acks.

Every failure a caller can cause or observe is one of these::

    LiveclassError                  (abstract root; never raised itself)
     +-- BadRequest         400  bad_request        malformed input, wrong types, out of range
     +-- Unauthorized       401  unauthorized       missing, expired or forged token
     +-- Forbidden          403  forbidden          role or membership does not allow it
     +-- NotFound           404  not_found          unknown id, or one the caller may not know of
     +-- Conflict           409  conflict           duplicate, class full, state clash
     +-- PayloadTooLarge    413  payload_too_large  body over the configured limit
     +-- InvalidState       422  invalid_state      the resource's lifecycle refuses it
     +-- Closed             422  closed             class not live, poll closed, feature off
                                                    (HTTP says invalid_state, its code list)
     +-- RateLimited        429  rate_limited       too many; carries ``retry_after``
     +-- ProviderError      502  provider_error     the meeting provider failed
     +-- Unavailable        503  unavailable        a backing service (database, broker) is down

Transport code never builds error bodies by hand: HTTP uses :func:`http_body`
and the socket layer uses :func:`ack_body`.  Anything else that escapes a
handler is a bug; both transports turn it into an opaque ``internal`` answer
and log it, so no stack trace ever reaches a client.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

__all__ = [
    "BadRequest",
    "Closed",
    "Conflict",
    "Forbidden",
    "InvalidState",
    "LiveclassError",
    "NotFound",
    "PayloadTooLarge",
    "ProviderError",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "ack_body",
    "bad_field",
    "http_body",
    "retry_after_seconds",
]


class LiveclassError(Exception):
    """Root of every error a client may see."""

    code: ClassVar[str] = "internal"
    # The HTTP envelope's code, where the HTTP spec names it differently.
    http_code: ClassVar[str | None] = None
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(LiveclassError):
    code = "bad_request"
    status = 400


def bad_field(field: str, message: str) -> BadRequest:
    """A 400 whose ``details`` name the one field at fault."""
    return BadRequest(message, details={field: message})


class Unauthorized(LiveclassError):
    code = "unauthorized"
    status = 401


class Forbidden(LiveclassError):
    code = "forbidden"
    status = 403


class NotFound(LiveclassError):
    code = "not_found"
    status = 404


class Conflict(LiveclassError):
    code = "conflict"
    status = 409


class PayloadTooLarge(LiveclassError):
    code = "payload_too_large"
    status = 413


class InvalidState(LiveclassError):
    code = "invalid_state"
    status = 422


class Closed(LiveclassError):
    """The class is not live, the poll is closed, or the feature is switched off.

    Over the socket it keeps its own ``closed`` code as the real-time protocol
    requires; HTTP has no such code, so there it is a 422 ``invalid_state``
    with ``details: {"reason": "closed"}``.
    """

    code = "closed"
    http_code = "invalid_state"
    status = 422


class RateLimited(LiveclassError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: float, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class ProviderError(LiveclassError):
    """The meeting provider refused or failed; ``provider`` names which one."""

    code = "provider_error"
    status = 502

    def __init__(self, message: str, *, provider: str, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.provider = provider


class Unavailable(LiveclassError):
    code = "unavailable"
    status = 503


def http_body(error: LiveclassError) -> dict[str, Any]:
    """The HTTP error envelope of the spec."""
    body: dict[str, Any] = {"code": error.http_code or error.code, "message": error.message}
    details = error.details
    if error.http_code is not None:
        details = {"reason": error.code, **(details or {})}
    if details:
        # The documented shape is ``{name: text}``: numbers and ids are written as text.
        body["details"] = {str(k): str(v) for k, v in dict(details).items() if v is not None}
    return {"success": False, "error": body}


def ack_body(error: LiveclassError) -> dict[str, Any]:
    """The failure acknowledgement of the real-time protocol.

    HTTP-only codes fold into the socket vocabulary: ``invalid_state`` is a
    ``conflict`` (wrong state), the rest that the socket spec lacks are
    ``internal``.
    """
    code = _SOCKET_CODES.get(error.code, "internal")
    body: dict[str, Any] = {"code": code, "message": error.message}
    if isinstance(error, RateLimited):
        body["retry_after"] = retry_after_seconds(error)
    return {"ok": False, "error": body}


def retry_after_seconds(error: RateLimited) -> int:
    """Whole seconds to wait, at least 1: HTTP's ``Retry-After`` and the socket ack's."""
    return max(1, math.ceil(error.retry_after))


INTERNAL_ACK: dict[str, Any] = {
    "ok": False,
    "error": {"code": "internal", "message": "internal error"},
}

_SOCKET_CODES = {
    "bad_request": "bad_request",
    "unauthorized": "unauthorized",
    "forbidden": "forbidden",
    "not_found": "not_found",
    "conflict": "conflict",
    "invalid_state": "conflict",
    "closed": "closed",
    "rate_limited": "rate_limited",
    "payload_too_large": "bad_request",
}
