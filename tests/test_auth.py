"""Token verification: what the spec requires to be refused is refused."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from server.auth import Role, TokenVerifier, issue_token
from server.errors import Unauthorized
from server.settings import ConfigError, Settings, load_settings

SECRET = "a-shared-secret-of-at-least-32-bytes!!"


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"jwt_secret": SECRET, "_env_file": None}
    values.update(overrides)
    return Settings(**values)


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "u1",
        "org": "acme",
        "role": "mentor",
        "name": "Ada",
        # Far ahead: the parameter lists below are built at collection, long before they run.
        "exp": datetime.now(UTC) + timedelta(days=1),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_token_gives_the_principal() -> None:
    principal = TokenVerifier(settings()).verify(jwt.encode(claims(), SECRET, "HS256"))
    assert (principal.user_id, principal.org_id, principal.role, principal.name) == (
        "u1",
        "acme",
        Role.MENTOR,
        "Ada",
    )


@pytest.mark.parametrize(
    ("token_claims", "message"),
    [
        (claims(exp=datetime.now(UTC) - timedelta(minutes=5)), "expired"),
        (claims(exp=None), "exp"),
        (claims(exp=10**20), "'exp' is out of range"),
        (claims(sub=None), "sub"),
        (claims(org=None), "org"),
        (claims(role="superuser"), "role"),
        (claims(sub=12), "(?i)sub"),
    ],
)
def test_incomplete_or_expired_tokens_are_refused(
    token_claims: dict[str, Any], message: str
) -> None:
    with pytest.raises(Unauthorized, match=message):
        TokenVerifier(settings()).verify(jwt.encode(token_claims, SECRET, "HS256"))


def test_expiry_on_a_long_lived_connection_uses_the_same_leeway() -> None:
    """Sockets check a verified principal again on each event (see server/realtime/expiry.py)."""
    verifier = TokenVerifier(settings(jwt_leeway_seconds=30))
    exp = datetime(2031, 1, 1, tzinfo=UTC)
    principal = verifier.verify(
        jwt.encode(claims(exp=datetime.now(UTC) + timedelta(minutes=5)), SECRET, "HS256")
    )
    pinned = dataclasses.replace(principal, expires_at=exp)
    assert not verifier.expired(pinned, exp + timedelta(seconds=30))
    assert verifier.expired(pinned, exp + timedelta(seconds=31))
    forever = dataclasses.replace(principal, expires_at=None)
    assert not verifier.expired(forever, exp + timedelta(days=999))


def test_role_defaults_to_student() -> None:
    token = jwt.encode(claims(role=None), SECRET, "HS256")
    assert TokenVerifier(settings()).verify(token).role is Role.STUDENT


def test_a_forged_signature_is_refused() -> None:
    token = jwt.encode(claims(), "another-secret-that-is-32-bytes-long!!", "HS256")
    with pytest.raises(Unauthorized, match="invalid token"):
        TokenVerifier(settings()).verify(token)


def _unsigned(payload: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def test_alg_none_is_refused() -> None:
    with pytest.raises(Unauthorized):
        TokenVerifier(settings()).verify(_unsigned(claims()))


def test_algorithm_confusion_is_refused() -> None:
    """An HS256 token 'signed' with the RSA public key must not pass an RS256 verifier."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verifier = TokenVerifier(settings(jwt_algorithms=["RS256"], jwt_public_key=public_pem.decode()))
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(
        json.dumps(claims(), default=lambda d: int(d.timestamp())).encode()
    ).rstrip(b"=")
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, header + b"." + body, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(Unauthorized):
        verifier.verify(b".".join([header, body, signature]).decode())


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_public_key_algorithms_verify_and_sign(algorithm: str) -> None:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else ec.generate_private_key(ec.SECP256R1())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    config = settings(
        jwt_secret=None,
        jwt_algorithms=[algorithm],
        jwt_public_key=public_pem,
        jwt_private_key=private_pem,
    )
    token = issue_token(config, sub="u9", org="acme", role=Role.ADMIN)
    assert TokenVerifier(config).verify(token).role is Role.ADMIN


def test_audience_and_issuer_are_checked_when_configured() -> None:
    config = settings(jwt_audience="liveclass", jwt_issuer="https://lms.example")
    verifier = TokenVerifier(config)
    good = jwt.encode(claims(aud="liveclass", iss="https://lms.example"), SECRET, "HS256")
    assert verifier.verify(good).user_id == "u1"
    for bad in (
        claims(aud="other", iss="https://lms.example"),
        claims(aud="liveclass", iss="https://evil.example"),
        claims(iss="https://lms.example"),
    ):
        with pytest.raises(Unauthorized):
            verifier.verify(jwt.encode(bad, SECRET, "HS256"))


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer   "])
def test_malformed_authorization_headers(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        TokenVerifier(settings()).from_header(header)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"jwt_secret": "short"}, "LIVECLASS_JWT_SECRET"),
        ({"jwt_algorithms": ["HS256", "RS256"]}, "HS"),
        ({"jwt_algorithms": ["RS256"]}, "PUBLIC_KEY"),
        ({"database_url": "mysql://x"}, "LIVECLASS_DATABASE_URL"),
        ({"secret_key": "tiny"}, "LIVECLASS_SECRET_KEY"),
    ],
)
def test_bad_configuration_names_the_variable(env: dict[str, Any], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(_env_file=None, **env)
