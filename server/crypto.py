"""Secrets at rest: authenticated encryption of short strings such as provider tokens.

:class:`SecretBox` seals with AES-256-GCM under a key derived from the
server's ``secret_key`` by HKDF-SHA256; each seal uses a fresh random 96-bit
nonce, and the output is ``urlsafe_b64(nonce || ciphertext || tag)``.
Limits: changing ``secret_key`` makes every sealed value unreadable (there is
no key rotation), and a sealed value reveals its plaintext's length.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SecretBox"]

_NONCE_BYTES = 12
_KEY_INFO = b"liveclass secret box v1"


class SecretBox:
    """Seal and open strings with a key derived from ``secret_key``."""

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
            secret_key.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        """The plaintext; ``ValueError`` if ``sealed`` was tampered with or is not ours."""
        try:
            raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raise ValueError("not a sealed value") from None
        if len(raw) <= _NONCE_BYTES:
            raise ValueError("not a sealed value")
        try:
            plaintext = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag:
            raise ValueError(
                "the sealed value was tampered with or sealed under another key"
            ) from None
        return plaintext.decode()
