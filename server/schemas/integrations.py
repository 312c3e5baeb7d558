"""Provider account payloads: what an admin sends, and what anyone may see back (no secrets)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from .common import RequestModel, ResponseModel

__all__ = ["GoogleAccount", "IntegrationStatus", "OAuthCallback", "ZoomAccount"]

Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ZoomAccount(RequestModel):
    """A Zoom server-to-server OAuth app of the organization."""

    account_id: Secret
    client_id: Secret
    client_secret: Secret


class GoogleAccount(RequestModel):
    """A Google OAuth client and a refresh token with Calendar and Meet scopes."""

    client_id: Secret
    client_secret: Secret
    refresh_token: Secret


class IntegrationStatus(ResponseModel):
    provider: Literal["zoom", "google_meet"]
    connected: bool
    source: Literal["organization", "server"] | None
    kind: Literal["server_to_server", "oauth"] | None
    account_id: str | None = None
    updated_at: datetime | None = None


class OAuthCallback(ResponseModel):
    """Query of the provider's redirect back to us."""

    code: str | None = None
    state: str | None = None
    error: str | None = None
