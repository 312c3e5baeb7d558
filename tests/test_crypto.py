"""SecretBox: sealed values open with the same key only, and tampering is refused."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from server.crypto import SecretBox

KEY = "a-secret-key-that-is-long-enough-0123456789"


def test_round_trip_with_fresh_nonces() -> None:
    box = SecretBox(KEY)
    first, second = box.seal("zoom token é"), box.seal("zoom token é")
    assert first != second and "zoom" not in first
    assert box.open(first) == box.open(second) == "zoom token é"
    assert SecretBox(KEY).open(first) == "zoom token é"


def _flip_last_byte(sealed: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[-1] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    "forge",
    [
        _flip_last_byte,
        lambda sealed: SecretBox(KEY + "-other").seal("x"),
        lambda sealed: "not base64 at all!",
        lambda sealed: sealed[:8],
        lambda sealed: "é",
    ],
    ids=["tampered", "other key", "garbage", "truncated", "non-ascii"],
)
def test_open_refuses_what_it_did_not_seal(forge: Callable[[str], str]) -> None:
    box = SecretBox(KEY)
    with pytest.raises(ValueError):
        box.open(forge(box.seal("token")))
