"""Connecting an organization's own Zoom or Google account, by secrets or by OAuth consent.

Secrets are sealed at rest by the credential store and never returned.  A
``PUT`` is proven before it is kept: the new credentials must yield an access
token, or the previous record is put back and the answer is 502.

The OAuth flow's ``state`` is a short-lived JWT signed with
``LIVECLASS_SECRET_KEY`` naming the organization, the admin and a nonce; the
same nonce goes into an HttpOnly cookie on the redirect, so a callback is
accepted only in the browser session that started it (no login CSRF).

The operations are plain functions of the context, like every service.  What
they need beyond the other services (the connectable providers' clients and
the credential store) is built once by the app and carried on
``ServiceContext.accounts`` (see ``accounts.py``), rather than held by a
one-off service object that only the integration routes could reach.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from ..auth import Principal, Role
from ..errors import BadRequest, Forbidden, NotFound, ProviderError
from ..providers.credentials import TokenData
from ..schemas.integrations import IntegrationStatus
from .context import ServiceContext

__all__ = ["AuthorizeRedirect", "authorize", "complete", "connect", "disconnect", "status"]

_STATE_AUDIENCE = "liveclass-oauth"
_STATE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class AuthorizeRedirect:
    url: str
    nonce: str


async def status(ctx: ServiceContext, principal: Principal, name: str) -> IntegrationStatus:
    _require_admin(principal)
    provider = ctx.accounts.provider(name)
    record, updated = await ctx.accounts.store.load_with_time(principal.org_id, provider.store_key)
    if record is not None:
        return IntegrationStatus(
            provider=provider.store_key,
            connected=True,
            source="organization",
            kind=provider.kind(record),
            account_id=record.get("account_id"),
            updated_at=updated,
        )
    return IntegrationStatus(
        provider=provider.store_key,
        connected=provider.server_wide,
        source="server" if provider.server_wide else None,
        kind=None,
    )


async def connect(
    ctx: ServiceContext, principal: Principal, name: str, record: TokenData
) -> IntegrationStatus:
    """Keep the organization's credentials once they have proven to work."""
    _require_admin(principal)
    provider = ctx.accounts.provider(name)
    store = ctx.accounts.store
    org = principal.org_id
    previous = await store.load(org, provider.store_key)
    await store.save(org, provider.store_key, record)
    provider.client.forget(org)
    try:
        await provider.client.access_token(org)
    except ProviderError:
        if previous is None:
            await store.delete(org, provider.store_key)
        else:
            await store.save(org, provider.store_key, previous)
        provider.client.forget(org)
        raise
    return await status(ctx, principal, name)


async def disconnect(ctx: ServiceContext, principal: Principal, name: str) -> IntegrationStatus:
    _require_admin(principal)
    provider = ctx.accounts.provider(name)
    if not await ctx.accounts.store.delete(principal.org_id, provider.store_key):
        raise NotFound(f"{name} is not connected for this organization")
    provider.client.forget(principal.org_id)
    return await status(ctx, principal, name)


def authorize(ctx: ServiceContext, principal: Principal, name: str) -> AuthorizeRedirect:
    _require_admin(principal)
    provider = ctx.accounts.provider(name)
    nonce = secrets.token_urlsafe(24)
    state = jwt.encode(
        {
            "aud": _STATE_AUDIENCE,
            "org": principal.org_id,
            "sub": principal.user_id,
            "provider": name,
            "nonce": nonce,
            "exp": datetime.now(UTC) + _STATE_TTL,
        },
        ctx.settings.encryption_key,
        algorithm="HS256",
    )
    return AuthorizeRedirect(provider.client.authorize_url(state, provider.redirect_uri), nonce)


async def complete(
    ctx: ServiceContext,
    name: str,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    cookie_nonce: str | None,
) -> IntegrationStatus:
    """The provider's redirect back: check state and session, then trade the code."""
    provider = ctx.accounts.provider(name)
    if error:
        raise BadRequest(f"{name} did not grant access: {error[:200]}")
    if not code or not state:
        raise BadRequest("the callback needs code and state", details=_missing(code, state))
    claims = _verify_state(state, ctx.settings.encryption_key, name)
    if not cookie_nonce or not secrets.compare_digest(cookie_nonce, str(claims["nonce"])):
        raise Forbidden("this authorization was started in another browser session")
    await provider.client.exchange_code(str(claims["org"]), code, provider.redirect_uri)
    admin = Principal(
        user_id=str(claims["sub"]),
        org_id=str(claims["org"]),
        role=Role.ADMIN,
        name="",
        email=None,
    )
    return await status(ctx, admin, name)


def _verify_state(state: str, key: str, name: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            state,
            key,
            algorithms=["HS256"],
            audience=_STATE_AUDIENCE,
            options={"require": ["exp", "org", "sub", "nonce", "provider"]},
        )
    except jwt.PyJWTError:
        raise BadRequest("invalid or expired state; start the authorization again") from None
    if claims["provider"] != name:
        raise BadRequest("the state was issued for another provider")
    return claims


def _missing(code: str | None, state: str | None) -> dict[str, str]:
    return {k: "required" for k, v in (("code", code), ("state", state)) if not v}


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("connecting provider accounts is for admins")
