"""Bearer JWTs from the learning platform -> a :class:`Principal`.

The platform issues tokens; we only verify them, with the algorithms pinned by
configuration (so ``alg: none`` and HS/RS confusion are refused), ``exp`` and
``sub`` required, ``aud``/``iss`` checked when configured.  ``org`` is
required too: without it no organization boundary could be drawn.  ``role``
defaults to ``student``, the least privileged, when absent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .errors import Unauthorized
from .schemas.text import CONTROL_CHARACTERS, without_control_characters
from .settings import Settings

__all__ = ["Principal", "Role", "TokenVerifier", "issue_token"]


class Role(enum.StrEnum):
    """The platform-wide role from the token (class roles are derived from it)."""

    STUDENT = "student"
    MENTOR = "mentor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the token says."""

    user_id: str
    org_id: str
    role: Role
    name: str
    email: str | None
    # The token's ``exp``; ``None`` for principals the server makes itself.
    expires_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._algorithms = list(settings.jwt_algorithms)
        self._key: str = (
            settings.hmac_secret
            if self._algorithms[0].startswith("HS")
            else str(settings.jwt_public_key)
        )
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer
        self._leeway = settings.jwt_leeway_seconds

    def verify(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("a bearer token is required")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from None
        return _principal(claims)

    def expired(self, principal: Principal, now: datetime) -> bool:
        """Whether ``now`` is past the token's ``exp`` plus the leeway, as :meth:`verify` judges.

        For connections that outlive their token (sockets), checked on each event.
        """
        if principal.expires_at is None:
            return False
        return now > principal.expires_at + timedelta(seconds=self._leeway)

    def from_header(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the token as 'Authorization: Bearer <JWT>'")
        return self.verify(token.strip())


def _principal(claims: dict[str, Any]) -> Principal:
    sub, org = _id_claim(claims, "sub"), _id_claim(claims, "org")
    try:
        role = Role(claims.get("role", Role.STUDENT.value))
    except ValueError:
        raise Unauthorized("invalid token: 'role' must be student, mentor or admin") from None
    # The platform signed these for display: shown cleaned rather than refused.
    name = claims.get("name")
    email = claims.get("email")
    return Principal(
        user_id=sub,
        org_id=org,
        role=role,
        name=without_control_characters(name[:200]) if isinstance(name, str) and name else sub,
        email=without_control_characters(email[:320]) if isinstance(email, str) and email else None,
        expires_at=_moment(claims["exp"]),
    )


def _moment(exp: Any) -> datetime:
    """``exp`` (PyJWT checked it is a number) as a time; absurd values are refused, not a 500."""
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, ValueError, OSError):
        raise Unauthorized("invalid token: 'exp' is out of range") from None


def _id_claim(claims: dict[str, Any], claim: str) -> str:
    value = claims.get(claim)
    if not isinstance(value, str) or not value or len(value) > 64:
        raise Unauthorized(f"invalid token: '{claim}' must be a string of 1 to 64 characters")
    # Ids are compared exactly, so one with a control character is refused, not cleaned.
    if CONTROL_CHARACTERS.search(value):
        raise Unauthorized(f"invalid token: '{claim}' contains control characters")
    return value


def issue_token(
    settings: Settings,
    *,
    sub: str,
    org: str,
    role: Role,
    name: str | None = None,
    email: str | None = None,
    ttl: timedelta = timedelta(hours=1),
) -> str:
    """Sign a token the way a platform would; for local use and tests."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": sub, "org": org, "role": role.value, "iat": now}
    claims["exp"] = now + ttl
    if name:
        claims["name"] = name
    if email:
        claims["email"] = email
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    algorithm = settings.jwt_algorithms[0]
    if algorithm.startswith("HS"):
        return jwt.encode(claims, settings.hmac_secret, algorithm=algorithm)
    if not settings.jwt_private_key:
        raise Unauthorized("LIVECLASS_JWT_PRIVATE_KEY is needed to sign RS*/ES* tokens")
    return jwt.encode(claims, settings.jwt_private_key, algorithm=algorithm)
