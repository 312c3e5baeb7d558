"""SecretBox sealing and the in-memory credential store."""

from __future__ import annotations

from typing import Any

import pytest

from server.crypto import SecretBox, SecretBoxError
from server.providers.credentials import InMemoryCredentialStore

KEY = "k" * 40


def test_seal_and_open_round_trip() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("refresh-token-é")
    assert sealed.startswith("v1.") and "refresh" not in sealed
    assert box.open(sealed) == "refresh-token-é"
    assert box.seal("same") != box.seal("same")  # a fresh nonce each time


def test_tampering_is_detected() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("secret")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretBoxError, match="failed authentication"):
        box.open(flipped)


def test_another_key_cannot_open() -> None:
    sealed = SecretBox(KEY).seal("secret")
    with pytest.raises(SecretBoxError, match="another key"):
        SecretBox("z" * 40).open(sealed)


@pytest.mark.parametrize("value", ["plain", "v1.", "v1.AAAA", "v1.!!!!"])
def test_malformed_values_are_refused(value: str) -> None:
    with pytest.raises(SecretBoxError):
        SecretBox(KEY).open(value)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        SecretBox("short")


async def test_store_replaces_whole_records_and_copies() -> None:
    store = InMemoryCredentialStore()
    assert await store.load("o", "zoom") is None
    record: dict[str, Any] = {"refresh_token": "a", "nested": {"x": 1}}
    await store.save("o", "zoom", record)
    record["nested"]["x"] = 2
    loaded = await store.load("o", "zoom")
    assert loaded == {"refresh_token": "a", "nested": {"x": 1}}
    await store.save("o", "zoom", {"refresh_token": "b"})
    assert await store.load("o", "zoom") == {"refresh_token": "b"}
    assert store.saves[("o", "zoom")] == 2
