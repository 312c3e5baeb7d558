"""Access tokens cached per organization, refreshed one at a time, retried once on 401.

Both Zoom and Google hand out one-hour bearer tokens.  :class:`TokenCache`
keeps one per key (the organization id) until ``skew`` seconds before it
expires, and lets only one refresh per key run at a time, so a burst of
calls for one organization causes one token request, not one per call.
The lock is per process; see :class:`~.credentials.CredentialStore` about
several processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx

from .transport import ProviderTransport

__all__ = ["AccessToken", "BearerSession", "Fetch", "TokenCache"]


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # epoch seconds


# Gets a usable token; the argument is a token the provider just rejected (or
# None), so a fetcher that reads tokens from storage knows not to return it again.
Fetch = Callable[[str | None], Awaitable[AccessToken]]


class TokenCache:
    def __init__(self, *, skew: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self._skew = skew
        self._clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._rejected: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def fresh(self, token: AccessToken) -> bool:
        return token.expires_at - self._skew > self._clock()

    async def get(self, key: str, fetch: Fetch) -> str:
        token = self._tokens.get(key)
        if token is not None and self.fresh(token):
            return token.value
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            # Another task may have refreshed while this one waited for the lock.
            token = self._tokens.get(key)
            if token is None or not self.fresh(token):
                token = await fetch(self._rejected.pop(key, None))
                self._tokens[key] = token
            return token.value

    def invalidate(self, key: str, value: str) -> None:
        """Forget ``value`` if it is still the cached token (others may have replaced it)."""
        token = self._tokens.get(key)
        if token is not None and token.value == value:
            del self._tokens[key]
            self._rejected[key] = value

    def drop(self, key: str) -> None:
        """Forget the key's token (its credentials changed)."""
        self._tokens.pop(key, None)
        self._rejected.pop(key, None)

    def put(self, key: str, token: AccessToken) -> None:
        """Cache a token obtained elsewhere (a fresh OAuth code exchange)."""
        self._tokens[key] = token
        self._rejected.pop(key, None)


class BearerSession:
    """Calls on behalf of an organization with its bearer token; one retry on a 401.

    ``fetch(org_id, rejected)`` gets a token (see :data:`Fetch`).  A 401 drops
    the token, fetches another and sends once more; a second 401 is an error.
    """

    def __init__(
        self,
        transport: ProviderTransport,
        fetch: Callable[[str, str | None], Awaitable[AccessToken]],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.tokens = TokenCache(clock=clock)
        self._fetch = fetch

    async def call(
        self,
        org_id: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        accept: Collection[int] = (),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        fetch = partial(self._fetch, org_id)

        async def send(token: str) -> httpx.Response:
            return await self.transport.request(
                method,
                url,
                headers={"Authorization": f"Bearer {token}"},
                params=params,
                json=json,
                accept={401, *accept},
                idempotent=idempotent,
            )

        token = await self.tokens.get(org_id, fetch)
        response = await send(token)
        if response.status_code == 401:
            self.tokens.invalidate(org_id, token)
            response = await send(await self.tokens.get(org_id, fetch))
        if response.status_code == 401 and 401 not in accept:
            raise self.transport.error(response)
        return response
