"""Where per-organization provider credentials live: the store protocol and a memory store.

Token data is a JSON-safe ``dict``.  Shapes the adapters read and write:

* Zoom server-to-server: ``account_id``, ``client_id``, ``client_secret``.
* Zoom user OAuth and Google: ``access_token``, ``refresh_token``,
  ``expires_at`` (epoch seconds), optionally ``client_id``/``client_secret``
  and ``scope``.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

__all__ = ["CredentialStore", "InMemoryCredentialStore", "TokenData"]

TokenData = dict[str, Any]


class CredentialStore(Protocol):
    """Per ``(org_id, provider)`` credentials, encrypted at rest by real implementations.

    ``save`` must replace the whole record atomically (one row update in one
    transaction, never field by field): Zoom rotates refresh tokens, so after a
    refresh the old token is already dead and a half-written record would lock
    the organization out until someone reconnects the account.  The adapters
    serialise refreshes per organization within one process; several processes
    sharing a store can still race one refresh against another, and a
    database-backed store should make the losing writer reload instead of
    overwriting a newer token (for example by comparing the stored refresh
    token before replacing it).
    """

    async def load(self, org_id: str, provider: str) -> TokenData | None: ...

    async def save(self, org_id: str, provider: str, data: TokenData) -> None: ...


class InMemoryCredentialStore:
    """A process-local store for tests and single-process development.

    Values are deep-copied in and out so callers cannot mutate stored state;
    ``saves`` counts writes per key so tests can assert what was persisted.
    """

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], TokenData] = {}
        self.saves: dict[tuple[str, str], int] = {}

    async def load(self, org_id: str, provider: str) -> TokenData | None:
        value = self._data.get((org_id, provider))
        return copy.deepcopy(value) if value is not None else None

    async def save(self, org_id: str, provider: str, data: TokenData) -> None:
        key = (org_id, provider)
        self._data[key] = copy.deepcopy(data)
        self.saves[key] = self.saves.get(key, 0) + 1
