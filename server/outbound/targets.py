"""Where a webhook may go: the SSRF guard, applied at registration and before every attempt.

The host is resolved and every address checked; private, loopback,
link-local, multicast, reserved and unspecified addresses are refused unless
``LIVECLASS_WEBHOOK_ALLOW_PRIVATE_TARGETS`` is set.  The attempt then
connects to the checked address itself (the URL's host goes in the ``Host``
header and TLS SNI), so a DNS answer that changes between the check and the
connection (rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Target", "TargetRefused", "check_url", "resolve"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_TIMEOUT_SECONDS = 5


class TargetRefused(Exception):
    """The URL is malformed, does not resolve, or points at a refused address."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check_url(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path?query)`` of an http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must be http:// or https://")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not carry credentials")
    if parts.fragment:
        raise TargetRefused("the URL must not have a fragment")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


async def resolve(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host and return the first acceptable address, or refuse."""
    scheme, host, port, path = check_url(url)
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
    except TimeoutError:
        raise TargetRefused(
            f"the host {host} did not resolve within {RESOLVE_TIMEOUT_SECONDS} s"
        ) from None
    except OSError as exc:
        raise TargetRefused(f"the host {host} does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise TargetRefused(f"the host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            if reason := _private(address):
                raise TargetRefused(
                    f"{host} resolves to {address}, a {reason} address "
                    "(LIVECLASS_WEBHOOK_ALLOW_PRIVATE_TARGETS is off)"
                )
    return Target(scheme, host, port, str(addresses[0]), path)


def _private(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _private(address.ipv4_mapped)
    for reason, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("unspecified", address.is_unspecified),
    ):
        if flag:
            return reason
    if not address.is_global:
        return "non-global"
    return None
