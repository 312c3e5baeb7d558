"""Declaring API operations once: the route, its validation and its OpenAPI entry.

An :class:`Operation` names its body, query and response models; the same
declaration builds the Starlette route (which parses and validates with those
models) and the OpenAPI document (which renders their JSON Schemas), so the
documentation cannot drift from what the server enforces.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..auth import Principal
from ..errors import BadRequest, PayloadTooLarge, bad_field
from ..schemas.common import QueryModel
from ..schemas.text import refuse_control_characters
from ..schemas.validation import invalid
from ..services.context import ServiceContext
from .responses import json_response
from .state import state_of

__all__ = ["Call", "Operation", "api", "build_routes"]

B = TypeVar("B", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)


@dataclass
class Call(Generic[B, Q]):
    """What a handler receives: who calls, the parsed input, and the services."""

    request: Request
    principal: Principal
    ctx: ServiceContext
    body: B
    query: Q

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])


class _Empty(BaseModel):
    model_config = {"extra": "ignore"}


class _NoQuery(QueryModel):
    pass


Handler = Callable[[Call[Any, Any]], Awaitable[Any]]
# Routes without a bearer token (provider webhooks, OAuth callbacks) take the raw request.
PublicHandler = Callable[[Request], Awaitable[Response]]


@dataclass
class Operation:
    method: str
    path: str
    handler: Handler | PublicHandler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    paginated: bool = False
    # Content types other than JSON this operation can answer with (CSV export).
    extra_content: Sequence[str] = field(default_factory=tuple)
    public: bool = False


def api(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    paginated: bool = False,
    extra_content: Sequence[str] = (),
    public: bool = False,
) -> Callable[[Any], Operation]:
    def declare(handler: Handler | PublicHandler) -> Operation:
        return Operation(
            method=method,
            path=path,
            handler=handler,
            summary=summary,
            tag=tag,
            body=body,
            query=query,
            response=response,
            status=status,
            paginated=paginated,
            extra_content=extra_content,
            public=public,
        )

    return declare


def build_routes(operations: Sequence[Operation]) -> list[Route]:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = op
    return [
        Route(path, _endpoint(methods), methods=list(methods), name=path)
        for path, methods in by_path.items()
    ]


def _endpoint(methods: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        op = methods[request.method if request.method in methods else "GET"]
        if op.public:
            return await cast(PublicHandler, op.handler)(request)
        ctx = state_of(request).ctx
        principal = ctx.tokens.from_header(request.headers.get("authorization"))
        refuse_control_characters(request.path_params)
        query = parse_query(op.query or _NoQuery, request)
        body = (
            parse_body(op.body, await read_body(request, ctx.settings.max_body_bytes))
            if op.body is not None
            else _Empty()
        )
        result = await cast(Handler, op.handler)(Call(request, principal, ctx, body, query))
        if isinstance(result, Response):
            return result
        if op.paginated:
            items, total = result
            page = query
            return json_response(
                {
                    "success": True,
                    "data": items,
                    "count": total,
                    "limit": getattr(page, "limit", len(items)),
                    "offset": getattr(page, "offset", 0),
                },
                op.status,
            )
        return json_response({"success": True, "data": result}, op.status)

    return endpoint


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body; 413 past ``limit`` bytes, checked while streaming."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_query(model: type[Q], request: Request) -> Q:
    """The query parameters: each declared by ``model``, given once, no control characters."""
    accepted = {field.alias or name for name, field in model.model_fields.items()}
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        if name not in accepted:
            listed = ", ".join(sorted(accepted)) or "none"
            raise bad_field(name, f"unknown query parameter {name!r} (accepted: {listed})")
        if name in seen:
            raise bad_field(name, f"query parameter {name!r} is given more than once")
        seen.add(name)
        refuse_control_characters(value, name)
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise invalid(exc) from None


# A JSON text can carry a control character only escaped (\u0000-\u001f, \u007f, \b, \f)
# or raw (which is malformed JSON); bodies without either skip the scan.
_MAY_HOLD_CONTROL = re.compile(
    rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\[bf]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)


def parse_body(model: type[B], raw: bytes) -> B:
    """Strict JSON validation: ``"5"`` is not a number and ``1`` is not a boolean."""
    if not raw.strip():
        raise BadRequest("a JSON body is required")
    if _MAY_HOLD_CONTROL.search(raw):
        # Malformed JSON is left for pydantic to name below.
        with contextlib.suppress(orjson.JSONDecodeError):
            refuse_control_characters(orjson.loads(raw))
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise BadRequest(f"malformed JSON: {first['msg']}") from None
        if first["type"] == "model_type" and not first["loc"]:
            raise BadRequest("the body must be a JSON object") from None
        raise invalid(exc) from None
