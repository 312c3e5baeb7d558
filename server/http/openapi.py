"""The OpenAPI 3.1 document, rendered from the operations' own models, and an offline docs page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from ..schemas.common import Envelope, ErrorEnvelope, ListEnvelope
from .routing import Operation

__all__ = ["DOCS_HTML", "openapi_document"]

_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")
_ERRORS = {
    "400": "bad_request: malformed JSON, wrong types, out-of-range values, unknown query "
    "parameters, control characters; details name the fields",
    "401": "unauthorized: missing, expired or invalid token",
    "403": "forbidden: role or membership",
    "404": "not_found",
    "409": "conflict: a duplicate, a full class, or a concurrent change of state",
    "413": "payload_too_large",
    "422": "invalid_state: the class's lifecycle refuses it",
    "429": "rate_limited",
    "502": "provider_error: the meeting provider failed; nothing was changed",
    "503": "unavailable: the database or broker is unreachable",
}


def openapi_document(operations: Sequence[Operation], *, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    error_ref = _schema(ErrorEnvelope, components, "serialization")
    for op in operations:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method.lower()}_{_name(op)}_{len(paths)}",
            "parameters": _parameters(op, components),
            "responses": {
                str(op.status): _success(op, components),
                **{
                    code: {
                        "description": text,
                        "content": {"application/json": {"schema": error_ref}},
                    }
                    for code, text in _ERRORS.items()
                },
            },
            "security": [] if op.public else [{"bearer": []}],
        }
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": _schema(op.body, components, "validation")}
                },
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "liveclass",
            "version": version,
            "description": "Live classes, attendance, recordings and the real-time classroom.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _name(op: Operation) -> str:
    return getattr(op.handler, "__name__", "operation")


def _success(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    if op.response is None:
        if op.extra_content:
            texts = {kind: {"schema": {"type": "string"}} for kind in op.extra_content}
            return {"description": "success", "content": texts}
        return {"description": "done"}
    # Parametrised at run time from the declaration, hence __class_getitem__.
    if op.paginated:
        envelope = ListEnvelope.__class_getitem__(op.response.__args__[0])
    else:
        envelope = Envelope.__class_getitem__(op.response)
    content = {"application/json": {"schema": _schema(envelope, components, "serialization")}}
    for media in op.extra_content:
        content[media] = {"schema": {"type": "string"}}
    return {"description": "success", "content": content}


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(op.path)
    ]
    if op.query is not None:
        schema = TypeAdapter(op.query).json_schema(ref_template=_REF, by_alias=True)
        components.update(schema.pop("$defs", {}))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _schema(
    model: type[BaseModel] | Any, components: dict[str, Any], mode: JsonSchemaMode
) -> dict[str, Any]:
    schema = TypeAdapter(model).json_schema(ref_template=_REF, mode=mode, by_alias=True)
    components.update(schema.pop("$defs", {}))
    title = schema.get("title")
    if isinstance(title, str) and schema.get("type") == "object":
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", title)
        components[name] = schema
        return {"$ref": _REF.format(model=name)}
    return schema


DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>liveclass API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});
  </script>
</body>
</html>
"""
