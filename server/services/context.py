"""What every service needs, built once at start-up by the app's lifespan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..auth import TokenVerifier
from ..crypto import SecretBox
from ..db import Database
from ..providers.base import ProviderRegistry
from ..settings import Settings
from .accounts import Accounts
from .events import Broadcaster
from .ratelimit import RateLimiter
from .recording_backends import RecordingBackend

__all__ = ["ServiceContext", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    providers: ProviderRegistry
    broadcaster: Broadcaster
    tokens: TokenVerifier
    secret_box: SecretBox
    limiter: RateLimiter
    # The provider accounts an organization can connect (services/integrations.py).
    accounts: Accounts
    # By provider name; a provider without one is served from the stored URLs.
    recording_backends: dict[str, RecordingBackend] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default=utcnow)
