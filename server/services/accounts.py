"""The provider accounts an organization can connect: each provider's client and
redirect, and the store that keeps the sealed credentials.

Built once by the app and carried on ``ServiceContext.accounts`` so that the
integration operations are plain functions of the context like every other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from ..errors import NotFound
from ..providers.credentials import CredentialStore, TokenData

__all__ = ["AccountClient", "AccountStore", "Accounts", "Provider"]

StoreKey = Literal["zoom", "google_meet"]
Kind = Literal["server_to_server", "oauth"]


class AccountClient(Protocol):
    """What the Zoom and Google clients offer for connecting accounts."""

    def authorize_url(self, state: str, redirect_uri: str) -> str: ...

    async def exchange_code(self, org_id: str, code: str, redirect_uri: str) -> None: ...

    async def access_token(self, org_id: str) -> str: ...

    def forget(self, org_id: str) -> None: ...


class AccountStore(CredentialStore, Protocol):
    """The sealed credential store, as the account routes use it (the database one)."""

    async def load_with_time(
        self, org_id: str, provider: str
    ) -> tuple[TokenData | None, datetime | None]: ...

    async def delete(self, org_id: str, provider: str) -> bool: ...


@dataclass(frozen=True)
class Provider:
    """One connectable provider: its URL name, store key and client."""

    name: str  # in URLs: zoom, google
    store_key: StoreKey
    client: AccountClient
    redirect_uri: str
    server_wide: bool  # configured in settings for every organization

    @staticmethod
    def kind(record: TokenData) -> Kind:
        return "server_to_server" if "account_id" in record else "oauth"


@dataclass(frozen=True)
class Accounts:
    """The connectable providers by URL name, and where their credentials live."""

    store: AccountStore
    providers: Mapping[str, Provider]

    def provider(self, name: str) -> Provider:
        try:
            return self.providers[name]
        except KeyError:
            raise NotFound(f"no integration named {name!r}") from None
