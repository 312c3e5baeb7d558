"""Configuration: every ``LIVECLASS_*`` environment variable (and ``.env``), validated at start.

A bad value stops the process with a message naming the variable; see
:func:`load_settings`.  The README's configuration table lists the same names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

__all__ = ["ConfigError", "JWTAlgorithm", "Settings", "load_settings"]

JWTAlgorithm = Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"]
ProviderName = Literal["zoom", "google_meet", "jitsi", "manual"]

_FIELD_IN_SETTINGS_ERROR = re.compile(r'field "(\w+)"')


class ConfigError(Exception):
    """Raised by :func:`load_settings` with a message fit for a terminal."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIVECLASS_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # -- storage and fan-out -------------------------------------------------
    database_url: str = Field(
        default="sqlite+aiosqlite:///./liveclass.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_pool_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="Longest wait for a pooled database connection before a 503, seconds",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for several processes; unset = one process, memory"
    )
    redis_prefix: str = Field(
        default="liveclass",
        description="Prefix of every Redis key and channel (one per deployment)",
    )
    redis_pool_size: int = Field(
        default=64,
        ge=2,
        le=10_000,
        description="Redis connections per process; a command past them waits for one",
    )

    # -- authentication --------------------------------------------------------
    jwt_secret: str | None = Field(
        default=None,
        description="Shared secret for HS* tokens (at least 32 bytes); "
        "unset on SQLite: generated into the key file",
    )
    jwt_public_key: str | None = Field(
        default=None, description="PEM public key (or @path to one) for RS*/ES* tokens"
    )
    jwt_private_key: str | None = Field(
        default=None, description="PEM private key (or @path) used only by `liveclass token`"
    )
    jwt_algorithms: list[JWTAlgorithm] = Field(default=["HS256"], min_length=1)
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=600)
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="Key for provider secrets at rest and OAuth state (at least 32 characters); "
        "unset on SQLite: generated into the key file",
    )

    # -- HTTP ------------------------------------------------------------------
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Browser origins allowed to call the API and open sockets (JSON list)",
    )
    public_url: str = Field(default="http://127.0.0.1:8000")
    log_json: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    websocket_compression: bool = Field(
        default=False, description="permessage-deflate on websockets (doubles memory per client)"
    )
    socket_max_unsent_bytes: int = Field(
        default=1_048_576,
        ge=65_536,
        description="A socket with more bytes than this not yet sent is disconnected (slow reader)",
    )

    # -- classes and attendance ------------------------------------------------
    default_provider: ProviderName = "jitsi"
    jitsi_domain: str = "meet.jit.si"
    jitsi_app_id: str | None = None
    jitsi_app_secret: str | None = None
    jitsi_audience: str = "jitsi"
    attendance_present_percent: float = Field(default=75.0, gt=0, le=100)

    # -- real-time classroom -----------------------------------------------------
    socket_max_event_bytes: int = Field(
        default=65_536,
        ge=1024,
        le=1_000_000,
        description="Largest client event (UTF-8 JSON) answered; larger ones get bad_request",
    )
    rate_limit_chat: str = Field(
        default="5 per 5 seconds", description="Chat messages per participant and class"
    )
    rate_limit_questions: str = Field(
        default="3 per 30 seconds", description="Questions per participant and class"
    )
    rate_limit_reactions: str = Field(
        default="10 per 5 seconds", description="Reactions per participant and class"
    )
    presence_ttl_seconds: int = Field(
        default=30,
        ge=3,
        le=600,
        description="How long a silent process's presence entries outlive it (Redis only)",
    )

    # -- Zoom and Google (used by the provider adapters) ----------------------
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: str | None = None
    zoom_webhook_secret: str | None = None
    zoom_api_base: str = "https://api.zoom.us/v2"
    zoom_oauth_base: str = "https://zoom.us"
    google_client_id: str | None = None
    google_client_secret: str | None = None
    google_redirect_uri: str | None = None
    google_refresh_token: str | None = None
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_calendar_api_base: str = "https://www.googleapis.com/calendar/v3"
    google_meet_api_base: str = "https://meet.googleapis.com/v2"
    google_channel_renew_hours: float = Field(
        default=24,
        gt=0,
        description="Replace a Calendar push channel expiring within this many hours",
    )
    google_channel_check_seconds: float = Field(
        default=600, gt=0, description="How often channels are checked for renewal"
    )
    webhook_tolerance_seconds: int = Field(
        default=300, ge=1, description="Oldest accepted x-zm-request-timestamp, in seconds"
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Processing attempts before an event is 'failed'"
    )
    webhook_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="First retry delay; doubles each attempt, capped at 1 h"
    )
    webhook_worker: bool = Field(
        default=True, description="Run the webhook worker in this process (false: intake only)"
    )
    webhook_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often the worker looks for due events when idle"
    )
    operator_org: str | None = Field(
        default=None,
        description="Organization whose admins also see webhook events no class claims",
    )
    provider_timeout_seconds: float = Field(default=10.0, gt=0)

    # -- outbound webhooks (to the learning platform) ----------------------------
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Let outbound webhooks reach private, loopback and link-local addresses",
    )
    outbound_webhook_worker: bool = Field(
        default=True, description="Deliver outbound webhooks from this process"
    )
    outbound_webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the delivery worker looks for due deliveries"
    )
    outbound_webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Time an endpoint has to answer one attempt"
    )
    outbound_webhook_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="First retry delay; doubles each attempt (with jitter)"
    )
    outbound_webhook_retry_cap_seconds: float = Field(
        default=3600.0, gt=0, description="Longest delay between two attempts"
    )
    outbound_webhook_retry_hours: float = Field(
        default=24.0, gt=0, description="How long a delivery is retried before it is 'failed'"
    )
    outbound_webhook_circuit_failures: int = Field(
        default=10, ge=1, description="Consecutive failures that pause an endpoint"
    )
    outbound_webhook_circuit_pause_seconds: float = Field(
        default=300.0, gt=0, description="How long a paused endpoint waits before a new try"
    )

    # -- reminders and e-mail ------------------------------------------------------
    reminder_offsets_minutes: list[int] = Field(
        default=[1440, 10],
        min_length=0,
        max_length=10,
        description="When reminders go out, in minutes before a class (JSON list)",
    )
    reminder_worker: bool = Field(
        default=True, description="Plan reminders and send e-mail from this process"
    )
    reminder_poll_seconds: float = Field(
        default=30.0, gt=0, description="How often reminders and e-mail are looked for"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset = no e-mail")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port")
    smtp_username: str | None = Field(default=None, description="SMTP login, if required")
    smtp_password: str | None = Field(default=None, description="SMTP password, if required")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (port 587), tls (port 465) or none"
    )
    smtp_from: str = Field(
        default="liveclass <no-reply@localhost>", description="From: of the e-mail sent"
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time the SMTP server has to take one message"
    )
    mail_max_attempts: int = Field(
        default=5, ge=1, le=50, description="Attempts to send one e-mail before giving up"
    )

    @field_validator("jwt_public_key", "jwt_private_key")
    @classmethod
    def _read_key_file(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("@"):
            return Path(value[1:]).read_text(encoding="utf-8")
        return value

    @field_validator("rate_limit_chat", "rate_limit_questions", "rate_limit_reactions")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError("must read like '5 per 5 seconds'") from None
        return value

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _offsets(cls, value: list[int]) -> list[int]:
        if any(not 1 <= minutes <= 43_200 for minutes in value):
            raise ValueError("each offset must be 1 to 43200 minutes (30 days)")
        return sorted(set(value), reverse=True)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @model_validator(mode="after")
    def _keys_match_algorithms(self) -> Settings:
        wants_hmac = any(alg.startswith("HS") for alg in self.jwt_algorithms)
        wants_public = any(not alg.startswith("HS") for alg in self.jwt_algorithms)
        if wants_hmac and wants_public:
            # Mixing families is how algorithm-confusion attacks start.
            raise ValueError("LIVECLASS_JWT_ALGORITHMS must be all HS* or all RS*/ES*, not both")
        if wants_public and not self.jwt_public_key:
            raise ValueError("LIVECLASS_JWT_PUBLIC_KEY is required for RS*/ES* algorithms")
        if wants_hmac and self.jwt_secret is not None and len(self.jwt_secret.encode()) < 32:
            raise ValueError("LIVECLASS_JWT_SECRET must be at least 32 bytes")
        return self

    @property
    def hmac_secret(self) -> str:
        """The HS* secret (see :mod:`server.keyfile` for a server with none configured)."""
        if self.jwt_secret is None:
            raise ConfigError("LIVECLASS_JWT_SECRET is not set")
        return self.jwt_secret

    @property
    def encryption_key(self) -> str:
        """``secret_key``, which has no default: no key of this server may be public."""
        if self.secret_key is None:
            raise ConfigError("LIVECLASS_SECRET_KEY is not set")
        return self.secret_key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise :class:`ConfigError` naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            name = f"LIVECLASS_{field.upper()}" if error["loc"] else "settings"
            lines.append(f"  {name}: {error['msg']}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
    except SettingsError as exc:
        # Raised before validation when a list or object value is not JSON.
        found = _FIELD_IN_SETTINGS_ERROR.search(str(exc))
        name = f"LIVECLASS_{found.group(1).upper()}" if found else "a LIVECLASS_* variable"
        raise ConfigError(
            f"invalid configuration:\n  {name}: must be JSON (a list looks like "
            f'["https://app.example.org"]): {exc.__cause__ or exc}'
        ) from None
