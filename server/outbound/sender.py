"""One delivery attempt: sign the body (Standard Webhooks) and POST it to the checked address."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from .. import __version__
from .targets import TargetRefused, resolve

__all__ = ["Attempt", "Sender", "signed_headers"]

EXCERPT_CHARS = 500


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None = None
    response: str | None = None
    error: str | None = None


def signed_headers(secret: str, message_id: str, body: str, *, at: float) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` (the attempt's real time) and ``webhook-signature``."""
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(int(at), UTC), body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": signature,
    }


class Sender:
    def __init__(self, *, timeout: float, allow_private: bool) -> None:
        self._allow_private = allow_private
        # Redirects are not followed: a 3xx is a failed attempt (and no SSRF detour).
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, url: str, secret: str, message_id: str, body: str) -> Attempt:
        try:
            target = await resolve(url, allow_private=self._allow_private)
        except TargetRefused as exc:
            return Attempt(False, error=f"refused: {exc}")
        headers = {
            "content-type": "application/json",
            "user-agent": f"liveclass-webhooks/{__version__}",
            "host": target.host_header,
            # Signed at the attempt: receivers check the timestamp against their clock.
            **signed_headers(secret, message_id, body, at=time.time()),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self._client.build_request(
            "POST", target.pinned_url, content=body.encode(), headers=headers, extensions=extensions
        )
        try:
            response = await self._client.send(request, stream=True)
            try:
                excerpt = await _excerpt(response)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            return Attempt(False, error="timed out")
        except httpx.HTTPError as exc:
            return Attempt(False, error=f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS])
        return Attempt(response.is_success, response.status_code, excerpt)


async def _excerpt(response: httpx.Response) -> str:
    """The first characters of the answer, without reading a huge body whole."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_CHARS * 4:
            break
    return b"".join(chunks).decode("utf-8", "replace")[:EXCERPT_CHARS]
