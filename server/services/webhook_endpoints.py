"""Admins' outbound webhook endpoints (per organization) and the deliveries made to them."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import orjson
from sqlalchemy import ColumnElement, RowMapping, insert, select
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.pages import counted_page
from ..db.tables import webhook_deliveries, webhook_endpoints
from ..errors import BadRequest, Forbidden, InvalidState, NotFound, bad_field
from ..outbound.outbox import EventType, body_of, queued_row
from ..outbound.targets import TargetRefused, resolve
from ..schemas.common import Page
from ..schemas.outbound import (
    DeliveryFilter,
    DeliveryOut,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
)
from .context import ServiceContext

__all__ = [
    "create",
    "delete",
    "deliveries",
    "delivery",
    "endpoints",
    "get",
    "new_secret",
    "redeliver",
    "send_test",
    "update",
]

_ep = webhook_endpoints.c
_d = webhook_deliveries.c


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# -- endpoints -------------------------------------------------------------


async def create(
    ctx: ServiceContext, principal: Principal, body: EndpointCreate
) -> EndpointCreated:
    _require_admin(principal)
    await _check_url(ctx, body.url)
    secret = new_secret()
    now = ctx.clock()
    values: dict[str, Any] = {
        "id": f"ep_{secrets.token_hex(12)}",
        "org_id": principal.org_id,
        "url": body.url,
        "description": body.description,
        "event_types": sorted(set(body.event_types)),
        "enabled": body.enabled,
        "secret_sealed": ctx.secret_box.seal(secret),
        "failure_streak": 0,
        "created_by": principal.user_id,
        "created_at": now,
        "updated_at": now,
    }
    async with ctx.db.write() as conn:
        await conn.execute(insert(webhook_endpoints).values(**values))
        row = await _endpoint(conn, principal, values["id"])
    return EndpointCreated(**_endpoint_out(row).model_dump(), secret=secret)


async def endpoints(
    ctx: ServiceContext, principal: Principal, page: Page
) -> tuple[list[EndpointOut], int]:
    _require_admin(principal)
    async with ctx.db.read() as conn:
        rows, total = await counted_page(
            conn,
            webhook_endpoints,
            [_ep.org_id == principal.org_id],
            order_by=[_ep.created_at, _ep.id],
            limit=page.limit,
            offset=page.offset,
        )
    return [_endpoint_out(r) for r in rows], total


async def get(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> EndpointOut:
    _require_admin(principal)
    async with ctx.db.read() as conn:
        return _endpoint_out(await _endpoint(conn, principal, endpoint_id))


async def update(
    ctx: ServiceContext, principal: Principal, endpoint_id: str, body: EndpointUpdate
) -> EndpointOut:
    _require_admin(principal)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "url" in changes:
        if changes["url"] is None:
            raise bad_field("url", "url cannot be null")
        await _check_url(ctx, changes["url"])
    if "enabled" in changes and changes["enabled"] is None:
        raise bad_field("enabled", "enabled cannot be null")
    if changes.get("event_types") is not None:
        changes["event_types"] = sorted(set(changes["event_types"]))
    elif "event_types" in changes:
        changes["event_types"] = []
    if changes.get("enabled") is True:
        # Switching it on again closes the circuit: the next attempt is made at once.
        changes.update(failure_streak=0, paused_until=None)
    changes["updated_at"] = ctx.clock()
    async with ctx.db.write() as conn:
        await _endpoint(conn, principal, endpoint_id)
        await conn.execute(
            sql_update(webhook_endpoints).where(_ep.id == endpoint_id).values(**changes)
        )
        return _endpoint_out(await _endpoint(conn, principal, endpoint_id))


async def delete(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> None:
    """The endpoint and its deliveries (history included) are removed."""
    _require_admin(principal)
    async with ctx.db.write() as conn:
        await _endpoint(conn, principal, endpoint_id)
        await conn.execute(sql_delete(webhook_deliveries).where(_d.endpoint_id == endpoint_id))
        await conn.execute(sql_delete(webhook_endpoints).where(_ep.id == endpoint_id))


async def send_test(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> DeliveryOut:
    """Queue a ``webhook.test`` event for this endpoint only."""
    _require_admin(principal)
    now = ctx.clock()
    async with ctx.db.write() as conn:
        row = await _endpoint(conn, principal, endpoint_id)
        if not row["enabled"]:
            raise InvalidState("the endpoint is disabled; enable it first")
        body = body_of(
            EventType.WEBHOOK_TEST,
            {"endpoint_id": endpoint_id, "requested_by": principal.user_id},
            at=now,
        )
        values = queued_row(
            principal.org_id, endpoint_id, EventType.WEBHOOK_TEST, body, at=now, class_id=None
        )
        delivery_id = (
            await conn.execute(insert(webhook_deliveries).values(**values).returning(_d.id))
        ).scalar_one()
        return _delivery_out(await _delivery(conn, principal, delivery_id))


async def _check_url(ctx: ServiceContext, url: str) -> None:
    try:
        await resolve(url, allow_private=ctx.settings.webhook_allow_private_targets)
    except TargetRefused as exc:
        raise bad_field("url", str(exc)) from None


# -- deliveries -------------------------------------------------------------


async def deliveries(
    ctx: ServiceContext, principal: Principal, query: DeliveryFilter
) -> tuple[list[DeliveryOut], int]:
    _require_admin(principal)
    conditions: list[ColumnElement[bool]] = [_d.org_id == principal.org_id]
    for column, value in (
        (_d.endpoint_id, query.endpoint_id),
        (_d.status, query.status),
        (_d.event_type, query.event_type),
        (_d.class_id, query.class_id),
    ):
        if value is not None:
            conditions.append(column == value)
    async with ctx.db.read() as conn:
        rows, total = await counted_page(
            conn,
            webhook_deliveries,
            conditions,
            order_by=[_d.id.desc()],
            limit=query.limit,
            offset=query.offset,
        )
    return [_delivery_out(r) for r in rows], total


async def delivery(ctx: ServiceContext, principal: Principal, delivery_id: str) -> DeliveryOut:
    _require_admin(principal)
    async with ctx.db.read() as conn:
        return _delivery_out(await _delivery(conn, principal, _number(delivery_id)))


async def redeliver(ctx: ServiceContext, principal: Principal, delivery_id: str) -> DeliveryOut:
    """Send again as soon as possible, with the same ``webhook-id`` (and body)."""
    _require_admin(principal)
    number = _number(delivery_id)
    async with ctx.db.write() as conn:
        row = await _delivery(conn, principal, number)
        if row["status"] == "delivering":
            raise InvalidState("the delivery is being attempted right now")
        await conn.execute(
            sql_update(webhook_deliveries)
            .where(_d.id == number)
            .values(
                status="pending",
                next_attempt_at=ctx.clock(),
                lease_until=None,
                # A new retry window starts with the request.
                created_at=ctx.clock(),
            )
        )
        return _delivery_out(await _delivery(conn, principal, number))


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("webhook endpoints are for admins")


def _number(raw: str) -> int:
    if not raw.isdigit():
        raise BadRequest("delivery ids are numbers", details={"delivery_id": "must be a number"})
    return int(raw)


async def _endpoint(conn: AsyncConnection, principal: Principal, endpoint_id: str) -> RowMapping:
    row = (
        (
            await conn.execute(
                select(webhook_endpoints).where(
                    _ep.id == endpoint_id, _ep.org_id == principal.org_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("no such webhook endpoint")
    return row


async def _delivery(conn: AsyncConnection, principal: Principal, delivery_id: int) -> RowMapping:
    row = (
        (
            await conn.execute(
                select(webhook_deliveries).where(
                    _d.id == delivery_id, _d.org_id == principal.org_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("no such webhook delivery")
    return row


def _endpoint_out(row: RowMapping) -> EndpointOut:
    return EndpointOut.model_validate(dict(row))


def _delivery_out(row: RowMapping) -> DeliveryOut:
    return DeliveryOut.model_validate({**row, "payload": orjson.loads(row["body"])})
