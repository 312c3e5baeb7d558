"""Nothing goes to private or loopback addresses unless the setting allows it."""

from __future__ import annotations

import pytest

from server.outbound.sender import Sender
from server.outbound.targets import TargetRefused, resolve
from tests.support.platform import Platform
from tests.support.webhook_receiver import Receiver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
async def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        await resolve(url, allow_private=False)


async def test_malformed_urls_are_refused() -> None:
    for url in ("ftp://example.com/", "http://user:pw@example.com/", "http:///nohost", "x"):
        with pytest.raises(TargetRefused):
            await resolve(url, allow_private=True)


async def test_registration_refuses_loopback_without_the_setting(
    platform: Platform, receiver: Receiver
) -> None:
    """The shared test server runs with the default (private targets refused)."""
    response = await platform.call(
        "POST", "/api/admin/webhook-endpoints", platform.admin, json={"url": receiver.url}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "LIVECLASS_WEBHOOK_ALLOW_PRIVATE_TARGETS" in error["details"]["url"]


async def test_delivery_refuses_loopback_without_the_setting(receiver: Receiver) -> None:
    """Checked again at every attempt (an endpoint's name may resolve elsewhere later)."""
    receiver.secret = "whsec_" + "A" * 44
    refused = Sender(timeout=2, allow_private=False)
    try:
        attempt = await refused.send(receiver.url, receiver.secret, "msg_1", "{}")
    finally:
        await refused.aclose()
    assert not attempt.ok and attempt.error is not None and attempt.error.startswith("refused")
    assert receiver.received == []

    allowed = Sender(timeout=2, allow_private=True)
    try:
        attempt = await allowed.send(
            receiver.url, receiver.secret, "msg_1", '{"type":"t","data":{}}'
        )
    finally:
        await allowed.aclose()
    assert attempt.ok and attempt.status_code == 200
    assert [d.webhook_id for d in receiver.received] == ["msg_1"]
