"""Admin routes of outbound webhooks: endpoints, a test event, deliveries and redelivery.

Not to be confused with ``/api/admin/webhook-events``, the inbound provider events.
"""

from __future__ import annotations

from typing import Any

from ..schemas.common import Page
from ..schemas.outbound import (
    DeliveryFilter,
    DeliveryOut,
    EndpointCreate,
    EndpointCreated,
    EndpointOut,
    EndpointUpdate,
)
from ..services import webhook_endpoints
from .routing import Call, api

__all__ = ["operations"]

TAG = "outbound webhooks"
ENDPOINTS = "/api/admin/webhook-endpoints"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"
DELIVERIES = "/api/admin/webhook-deliveries"


@api(
    "GET",
    ENDPOINTS,
    summary="The organization's webhook endpoints",
    tag=TAG,
    query=Page,
    response=list[EndpointOut],
    paginated=True,
)
async def list_endpoints(call: Call[Any, Page]) -> tuple[list[EndpointOut], int]:
    return await webhook_endpoints.endpoints(call.ctx, call.principal, call.query)


@api(
    "POST",
    ENDPOINTS,
    summary="Register an endpoint (its signing secret is shown only now)",
    tag=TAG,
    body=EndpointCreate,
    response=EndpointCreated,
    status=201,
)
async def create_endpoint(call: Call[EndpointCreate, Any]) -> EndpointCreated:
    return await webhook_endpoints.create(call.ctx, call.principal, call.body)


@api("GET", ENDPOINT, summary="One webhook endpoint", tag=TAG, response=EndpointOut)
async def get_endpoint(call: Call[Any, Any]) -> EndpointOut:
    return await webhook_endpoints.get(call.ctx, call.principal, call.path("endpoint_id"))


@api(
    "PATCH",
    ENDPOINT,
    summary="Change an endpoint (enabling it again closes its circuit)",
    tag=TAG,
    body=EndpointUpdate,
    response=EndpointOut,
)
async def update_endpoint(call: Call[EndpointUpdate, Any]) -> EndpointOut:
    return await webhook_endpoints.update(
        call.ctx, call.principal, call.path("endpoint_id"), call.body
    )


@api(
    "DELETE",
    ENDPOINT,
    summary="Remove an endpoint and its deliveries",
    tag=TAG,
    response=dict[str, bool],
)
async def delete_endpoint(call: Call[Any, Any]) -> dict[str, bool]:
    await webhook_endpoints.delete(call.ctx, call.principal, call.path("endpoint_id"))
    return {"deleted": True}


@api(
    "POST",
    ENDPOINT + "/test",
    summary="Queue a webhook.test event for this endpoint",
    tag=TAG,
    response=DeliveryOut,
    status=202,
)
async def test_endpoint(call: Call[Any, Any]) -> DeliveryOut:
    return await webhook_endpoints.send_test(call.ctx, call.principal, call.path("endpoint_id"))


@api(
    "GET",
    DELIVERIES,
    summary="Deliveries, newest first (status, attempts, last response)",
    tag=TAG,
    query=DeliveryFilter,
    response=list[DeliveryOut],
    paginated=True,
)
async def list_deliveries(call: Call[Any, DeliveryFilter]) -> tuple[list[DeliveryOut], int]:
    return await webhook_endpoints.deliveries(call.ctx, call.principal, call.query)


@api("GET", DELIVERIES + "/{delivery_id}", summary="One delivery", tag=TAG, response=DeliveryOut)
async def get_delivery(call: Call[Any, Any]) -> DeliveryOut:
    return await webhook_endpoints.delivery(call.ctx, call.principal, call.path("delivery_id"))


@api(
    "POST",
    DELIVERIES + "/{delivery_id}/redeliver",
    summary="Send again now, with the same webhook-id",
    tag=TAG,
    response=DeliveryOut,
)
async def redeliver(call: Call[Any, Any]) -> DeliveryOut:
    return await webhook_endpoints.redeliver(call.ctx, call.principal, call.path("delivery_id"))


operations = [
    list_endpoints,
    create_endpoint,
    get_endpoint,
    update_endpoint,
    delete_endpoint,
    test_endpoint,
    list_deliveries,
    get_delivery,
    redeliver,
]
