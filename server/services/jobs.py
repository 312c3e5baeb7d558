"""The queue services hand background work to, as the services see it.

The webhook inbox implements it (a job is a ``pending`` row the worker picks
up like a provider's event); services reach it as ``ServiceContext.jobs`` and
never import the storage behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["JobQueue"]


class JobQueue(Protocol):
    async def enqueue_job(
        self,
        conn: AsyncConnection,
        *,
        provider: str,
        kind: str,
        key: str,
        payload: Mapping[str, Any],
        org_id: str,
        now: datetime,
    ) -> bool:
        """Queue a job inside the caller's transaction; ``False`` when ``(provider, key)``
        is already queued or was done (an admin replays it)."""
        ...
