"""The HTTP layer both provider adapters share: timeouts, bounded retries, provider messages.

What it retries, and why only that:

* ``429`` (unless the adapter says the limit is not worth waiting for, such as
  Zoom's per-user *daily* meeting limit) and ``5xx`` answers, and transport
  failures.  For a non-idempotent request (a Zoom ``POST`` that creates a
  meeting) only failures where the request certainly never reached the
  provider (connection refused, connect timeout) are retried: a ``5xx`` or a
  read timeout there may hide a meeting that was created anyway.
* Waits follow ``Retry-After`` when present (seconds, an HTTP-date, or an ISO
  timestamp such as Zoom's ``2020-05-31T00:00:00Z``) and otherwise capped
  exponential backoff with full jitter.  A ``Retry-After`` beyond
  :attr:`RetryPolicy.max_retry_after` is not slept through: the call fails at
  once and the error's ``details["retry_after"]`` says how long to wait.

Every failure surfaces as :class:`~server.errors.ProviderError` whose message
quotes the provider's own (``{"code","message"}`` from Zoom,
``{"error":{"message"}}`` from Google APIs, ``{"error","error_description"}``
from OAuth token endpoints).  Logs name the method, the URL path and the status,
never headers, query strings or bodies, so tokens and secrets stay out of them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..clock import Clock, utcnow
from ..errors import ProviderError

__all__ = [
    "ProviderTransport",
    "RetryPolicy",
    "Sleep",
    "parse_retry_after",
    "provider_message",
]

Sleep = Callable[[float], Awaitable[None]]
# Tells the transport a 429 must not be retried; returns the reason to show, or None.
FinalRateLimit = Callable[[httpx.Response], str | None]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
# Failures that happen before a single byte of the request is sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_MESSAGE_LIMIT = 300

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` counts the first try."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait for a ``Retry-After`` value; ``None`` when unreadable.

    Accepts delta-seconds (RFC 9110), an HTTP-date, and the ISO 8601 timestamp
    Zoom sends.  A moment in the past means "now" (0 seconds).
    """
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    when: datetime | None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        # Both formats are defined in UTC/GMT when no offset is written.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def provider_message(response: httpx.Response) -> str:
    """The provider's own explanation of a failed response, shortened for logs and clients."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    message: str | None = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(body.get("message"), str):
            message = body["message"]
        elif isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
        elif isinstance(error, str):
            detail = body.get("error_description") or body.get("reason")
            message = f"{error}: {detail}" if isinstance(detail, str) else error
    if message is None:
        message = response.text.strip() or response.reason_phrase or "no message"
    return message[:_MESSAGE_LIMIT]


def provider_code(response: httpx.Response) -> Any:
    """The provider's own error code (Zoom's numeric ``code``, an OAuth ``error``), if any."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if "code" in body:
        return body["code"]
    if isinstance(error, dict):
        return error.get("status") or error.get("code")
    return error


class ProviderTransport:
    """A retrying ``httpx.AsyncClient`` for one provider.

    ``provider`` names it in errors (``"zoom"``, ``"google_meet"``).  Pass a
    ``client`` to share a connection pool; otherwise the transport owns one and
    :meth:`aclose` closes it.  ``sleep`` and ``clock`` are injectable so tests
    can record waits instead of sleeping.
    """

    def __init__(
        self,
        provider: str,
        *,
        timeout: float,
        policy: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
        final_rate_limit: FinalRateLimit | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utcnow,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.provider = provider
        self._timeout = httpx.Timeout(timeout)
        self._policy = policy or RetryPolicy()
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient()
        self._final_rate_limit = final_rate_limit
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        accept: Collection[int] = (),
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send with retries; return any 2xx/3xx or ``accept``-ed answer, raise otherwise.

        ``idempotent`` defaults to the method's HTTP semantics; pass ``True`` for
        a ``POST`` the provider deduplicates (a client-chosen id).
        """
        method = method.upper()
        safe_to_repeat = method in _IDEMPOTENT if idempotent is None else idempotent
        for attempt in range(1, self._policy.attempts + 1):
            last = attempt == self._policy.attempts
            try:
                response = await self._client.request(
                    method,
                    url,
                    headers=headers,
                    params=params,
                    json=json,
                    data=data,
                    auth=auth,
                    timeout=self._timeout,
                )
            except httpx.TransportError as exc:
                if last or not (safe_to_repeat or isinstance(exc, _NOT_SENT)):
                    raise self._transport_failure(method, url, exc) from exc
                await self._wait(method, url, attempt, None, type(exc).__name__)
                continue
            status = response.status_code
            if status < 400 or status in accept:
                return response
            if status == 429:
                reason = self._final_rate_limit(response) if self._final_rate_limit else None
                if reason is not None:
                    raise self.error(response, message=reason)
            retryable = status == 429 or (status >= 500 and safe_to_repeat)
            if last or not retryable:
                raise self.error(response)
            await self._wait(method, url, attempt, response, str(status))
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def error(
        self,
        response: httpx.Response,
        *,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> ProviderError:
        """The :class:`ProviderError` for a failed response, quoting the provider."""
        text = message or provider_message(response)
        details: dict[str, Any] = {"status": response.status_code}
        code = provider_code(response)
        if code is not None:
            details["provider_code"] = code
        if retry_after is not None:
            details["retry_after"] = retry_after
            text = f"{text} (retry after {retry_after:.0f} s)"
        return ProviderError(
            f"{self.provider} answered {response.status_code}: {text}",
            provider=self.provider,
            details=details,
        )

    def _transport_failure(self, method: str, url: str, exc: httpx.TransportError) -> ProviderError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
        logger.warning("%s %s %s: %s", self.provider, method, _path(url), type(exc).__name__)
        return ProviderError(
            f"{self.provider} {kind} ({type(exc).__name__})",
            provider=self.provider,
            details={"reason": type(exc).__name__},
        )

    async def _wait(
        self, method: str, url: str, attempt: int, response: httpx.Response | None, why: str
    ) -> None:
        delay = self._retry_after(response)
        if delay is None:
            ceiling = min(self._policy.max_delay, self._policy.base_delay * 2 ** (attempt - 1))
            delay = self._jitter() * ceiling
        elif delay > self._policy.max_retry_after:
            assert response is not None  # only responses carry Retry-After
            raise self.error(response, retry_after=delay)
        logger.warning(
            "%s %s %s: %s, retry %d in %.2f s",
            self.provider,
            method,
            _path(url),
            why,
            attempt,
            delay,
        )
        await self._sleep(delay)

    def _retry_after(self, response: httpx.Response | None) -> float | None:
        if response is None or "retry-after" not in response.headers:
            return None
        return parse_retry_after(response.headers["retry-after"], self._clock())


def _path(url: str) -> str:
    # Query strings can carry tokens (recording downloads); log the path only.
    return httpx.URL(url).path
