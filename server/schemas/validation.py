"""pydantic's validation errors as the one ``bad_request`` both transports send.

The same bad field gives the same message over HTTP and over the socket:
``"{field}: {problem}"`` for the first problem, and ``details`` naming every
field at fault (the HTTP envelope carries them; a socket ack has the message).
"""

from __future__ import annotations

from pydantic import ValidationError

from ..errors import BadRequest

__all__ = ["invalid"]


def validation_details(exc: ValidationError) -> dict[str, str]:
    """``{"field.path": "message"}`` for each problem, as the error envelope's details."""
    details: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        details.setdefault(path, message)
    return details


def invalid(exc: ValidationError, *, as_field: str | None = None) -> BadRequest:
    """The ``bad_request`` for ``exc``; ``as_field`` names the one field the client sent
    when the model checked is not the request's own shape (a combined route's
    ``content`` checked as the specific operation's field)."""
    details = validation_details(exc)
    field, message = next(iter(details.items()))
    if as_field is not None:
        field, details = as_field, {as_field: message}
    return BadRequest(f"{field}: {message}", details=details)
