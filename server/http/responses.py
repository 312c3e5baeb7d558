"""JSON responses with the envelope, encoded by orjson (pydantic models included)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response

from ..errors import LiveclassError, RateLimited, http_body, retry_after_seconds

__all__ = ["error_response", "json_response"]


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):  # pydantic writes its JSON itself, the same text
        return orjson.Fragment(value.model_dump_json(by_alias=True))
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content, default=_default, option=orjson.OPT_UTC_Z),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_response(error: LiveclassError) -> Response:
    headers = None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(retry_after_seconds(error))}
    return json_response(http_body(error), error.status, headers)
