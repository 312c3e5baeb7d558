"""Zoom webhook authentication: the ``x-zm-signature`` scheme and URL validation.

Pure functions with no HTTP routing; the webhook route feeds them the raw
request bytes and headers.  The signature is
``"v0=" + hex(HMAC-SHA256(secret_token, "v0:" + timestamp + ":" + raw_body))``
over the bytes *as received*: re-serialising parsed JSON changes them (Zoom
escapes some characters and not others).  The secret is the app's Secret Token,
not its OAuth client secret.

Zoom documents no replay window; :func:`verify_signature` refuses timestamps
more than ``tolerance`` seconds away from ``now`` (the setting
``webhook_tolerance_seconds``).
"""

from __future__ import annotations

import hashlib
import hmac

from ..errors import Unauthorized

__all__ = ["sign", "url_validation_response", "verify_signature"]


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: str, raw_body: bytes) -> str:
    """The ``x-zm-signature`` value Zoom sends for this body and timestamp."""
    return "v0=" + _hmac_hex(secret, b"v0:" + timestamp.encode("ascii") + b":" + raw_body)


def verify_signature(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    raw_body: bytes,
    *,
    now: float,
    tolerance: float,
) -> None:
    """Raise :class:`Unauthorized` unless the headers authenticate ``raw_body``.

    ``timestamp_header`` is ``x-zm-request-timestamp`` (epoch seconds) and
    ``signature_header`` is ``x-zm-signature``; ``now`` is epoch seconds.
    """
    if not timestamp_header or not signature_header:
        raise Unauthorized("missing Zoom signature headers")
    try:
        timestamp = int(timestamp_header)
        timestamp_bytes = timestamp_header.encode("ascii")
    except (ValueError, UnicodeEncodeError):
        raise Unauthorized("malformed Zoom request timestamp") from None
    if abs(now - timestamp) > tolerance:
        raise Unauthorized("stale Zoom request timestamp")
    expected = "v0=" + _hmac_hex(secret, b"v0:" + timestamp_bytes + b":" + raw_body)
    # Compare bytes: compare_digest refuses non-ASCII str, and headers are attacker-chosen.
    if not hmac.compare_digest(expected.encode(), signature_header.encode("utf-8", "replace")):
        raise Unauthorized("invalid Zoom signature")


def url_validation_response(secret: str, plain_token: str) -> dict[str, str]:
    """The body answering an ``endpoint.url_validation`` event (send it with status 200)."""
    return {
        "plainToken": plain_token,
        "encryptedToken": _hmac_hex(secret, plain_token.encode("utf-8")),
    }
