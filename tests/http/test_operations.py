"""Health, readiness, metrics, the API document and its page, request ids."""

from __future__ import annotations

import httpx
import pytest
import socketio

from server.app import OPERATIONS
from server.auth import Role, issue_token
from tests.support.backends import Backend
from tests.support.platform import Platform
from tests.support.servers import LiveServer, serve_app


async def test_health_and_readiness(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["database"] == "ok"


async def test_readiness_fails_when_the_database_is_gone(backend: Backend) -> None:
    settings = backend.settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    async with serve_app(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unavailable")
        assert (await http.get("/healthz")).status_code == 200
        api = await http.get(
            "/api/live-classes", headers={"Authorization": f"Bearer {_token(live)}"}
        )
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "unavailable"


def _token(live: LiveServer) -> str:
    return issue_token(live.settings, sub="a", org="o", role=Role.ADMIN)


async def test_metrics_count_requests_by_route_template(platform: Platform) -> None:
    created = await platform.schedule()
    await platform.call("GET", f"/api/live-classes/{created['id']}", platform.mentor)
    text = (await platform.http.get("/metrics")).text
    assert (
        'liveclass_http_requests_total{method="GET",route="/api/live-classes/{class_id}",'
        'status="200"}' in text
    )
    assert "liveclass_http_request_duration_seconds_bucket" in text
    assert "liveclass_open_sockets" in text


async def test_open_sockets_gauge_follows_connections(platform: Platform) -> None:
    client = socketio.AsyncClient()
    await client.connect(
        platform.server.url, auth={"token": platform.mentor.token}, transports=["websocket"]
    )
    try:
        text = (await platform.http.get("/metrics")).text
        assert "liveclass_open_sockets 1.0" in text
    finally:
        await client.disconnect()


async def test_socket_connect_refuses_bad_tokens(server: LiveServer) -> None:
    client = socketio.AsyncClient()
    refused: list[object] = []

    async def on_error(data: object) -> None:
        refused.append(data)

    client.on("connect_error", on_error)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, auth={"token": "forged"}, transports=["websocket"])
    assert refused and isinstance(refused[0], dict)
    assert refused[0]["data"]["code"] == "unauthorized"
    assert "invalid token" in refused[0]["data"]["message"]


async def test_request_ids_are_kept_or_made(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/healthz", headers={"X-Request-ID": "abc-123"})).headers[
            "x-request-id"
        ] == "abc-123"
        made = (await http.get("/healthz", headers={"X-Request-ID": "bad id;<script>"})).headers[
            "x-request-id"
        ]
        assert made and made != "bad id;<script>"


async def test_openapi_documents_every_api_route_with_its_schemas(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        document = (await http.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    for op in OPERATIONS:
        entry = document["paths"][op.path][op.method.lower()]
        assert str(op.status) in entry["responses"]
        if op.body is not None:
            ref = entry["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    create = document["paths"]["/api/live-classes"]["post"]
    schema_name = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[
        -1
    ]
    assert "scheduled_start" in document["components"]["schemas"][schema_name]["properties"]
    listing = document["paths"]["/api/live-classes"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "course_id",
        "status",
        "from",
        "to",
        "limit",
        "offset",
    }


async def test_docs_page_works_offline(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/docs")
        assert page.status_code == 200 and "/openapi.json" in page.text
        assert "http" not in page.text.split("<body>")[1].replace("/openapi.json", "")
        script = await http.get("/docs/static/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
