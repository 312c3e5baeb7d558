"""Provider account routes: admins connect Zoom or Google by secrets or by OAuth consent."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..schemas.integrations import GoogleAccount, IntegrationStatus, OAuthCallback, ZoomAccount
from ..services import integrations
from .responses import json_response
from .routing import Call, Operation, api
from .state import state_of

__all__ = ["operations"]

_COOKIE_TTL = 600


def _cookie(name: str) -> str:
    return f"liveclass_oauth_{name}"


def _account_routes(name: str, body: type[ZoomAccount] | type[GoogleAccount]) -> list[Operation]:
    path = f"/api/admin/integrations/{name}"

    async def show(call: Call[Any, Any]) -> IntegrationStatus:
        return await integrations.status(call.ctx, call.principal, name)

    async def connect(call: Call[Any, Any]) -> IntegrationStatus:
        record = call.body.model_dump()
        return await integrations.connect(call.ctx, call.principal, name, record)

    async def disconnect(call: Call[Any, Any]) -> IntegrationStatus:
        return await integrations.disconnect(call.ctx, call.principal, name)

    async def authorize(call: Call[Any, Any]) -> Response:
        redirect = integrations.authorize(call.ctx, call.principal, name)
        response = RedirectResponse(redirect.url, status_code=302)
        response.set_cookie(
            _cookie(name),
            redirect.nonce,
            max_age=_COOKIE_TTL,
            path=f"/api/integrations/{name}",
            httponly=True,
            secure=call.ctx.settings.public_url.startswith("https://"),
            samesite="lax",
        )
        return response

    async def callback(request: Request) -> Response:
        query = OAuthCallback.model_validate(dict(request.query_params))
        status = await integrations.complete(
            state_of(request).ctx,
            name,
            code=query.code,
            state=query.state,
            error=query.error,
            cookie_nonce=request.cookies.get(_cookie(name)),
        )
        response = json_response({"success": True, "data": status})
        response.delete_cookie(_cookie(name), path=f"/api/integrations/{name}")
        return response

    title = "Zoom" if name == "zoom" else "Google"
    tag = "integrations"
    return [
        api(
            "GET",
            path,
            summary=f"Whether {title} is connected (no secrets)",
            tag=tag,
            response=IntegrationStatus,
        )(show),
        api(
            "PUT",
            path,
            summary=f"Connect the organization's {title} account",
            tag=tag,
            body=body,
            response=IntegrationStatus,
        )(connect),
        api(
            "DELETE",
            path,
            summary=f"Disconnect the organization's {title} account",
            tag=tag,
            response=IntegrationStatus,
        )(disconnect),
        api(
            "GET",
            f"/api/integrations/{name}/authorize",
            summary=f"Redirect to {title} consent",
            tag=tag,
            status=302,
        )(authorize),
        api(
            "GET",
            f"/api/integrations/{name}/callback",
            summary=f"{title}'s OAuth redirect back",
            tag=tag,
            query=OAuthCallback,
            response=IntegrationStatus,
            public=True,
        )(callback),
    ]


operations = [*_account_routes("zoom", ZoomAccount), *_account_routes("google", GoogleAccount)]
