"""What every service needs, built once at start-up by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..auth import TokenVerifier
from ..clock import Clock, utcnow
from ..crypto import SecretBox
from ..db import Database
from ..providers.base import ProviderRegistry
from ..providers.recording_backends import RecordingBackend
from ..settings import Settings
from .accounts import Accounts
from .events import Broadcaster
from .jobs import JobQueue
from .ratelimit import RateLimiter

__all__ = ["ServiceContext"]


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    providers: ProviderRegistry
    broadcaster: Broadcaster
    tokens: TokenVerifier
    secret_box: SecretBox
    limiter: RateLimiter
    jobs: JobQueue
    # The provider accounts an organization can connect (services/integrations.py).
    accounts: Accounts
    # By provider name; a provider without one is served from the stored URLs.
    recording_backends: dict[str, RecordingBackend] = field(default_factory=dict)
    clock: Clock = field(default=utcnow)
