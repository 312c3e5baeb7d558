"""Authenticated encryption of provider secrets and tokens at rest.

:class:`SecretBox` derives a 256-bit AES-GCM key from ``LIVECLASS_SECRET_KEY``
with HKDF-SHA256 and seals each value with a fresh 96-bit random nonce.  A
sealed value is ``v1.`` followed by unpadded URL-safe base64 of nonce and
ciphertext-with-tag, so it fits a text column.

Limits: changing the secret key makes every sealed value unreadable (there is
no key rotation yet; the ``v1`` prefix leaves room for one).  A sealed value is
not bound to the row it sits in, so swapping two sealed columns is not
detected; callers that care can keep the owner inside the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SecretBox", "SecretBoxError"]

_PREFIX = "v1."
_NONCE_BYTES = 12
# Fixed, public KDF inputs: they separate this key from any other use of the secret.
_SALT = b"liveclass/secret-box"
_INFO = b"liveclass provider secrets v1"


class SecretBoxError(ValueError):
    """A sealed value is malformed, was tampered with, or was sealed under another key."""


class SecretBox:
    """Seal and open short strings with a key derived from the server secret."""

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 32:
            raise ValueError("the secret key must be at least 32 characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
            secret_key.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return _PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def open(self, sealed: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise SecretBoxError("not a sealed value (unknown format)")
        text = sealed[len(_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise SecretBoxError("sealed value is not valid base64") from None
        if len(raw) <= _NONCE_BYTES:
            raise SecretBoxError("sealed value is truncated")
        try:
            plaintext = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag:
            raise SecretBoxError(
                "sealed value failed authentication: tampered with or sealed under another key"
            ) from None
        return plaintext.decode("utf-8")
