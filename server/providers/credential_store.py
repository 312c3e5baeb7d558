"""The database-backed :class:`CredentialStore`: one sealed row per organization and provider."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from ..clock import Clock, utcnow
from ..crypto import SecretBox
from ..db import Database
from ..db.tables import provider_credentials
from .credentials import TokenData

__all__ = ["DatabaseCredentialStore"]

_pc = provider_credentials.c


class DatabaseCredentialStore:
    """Credentials sealed with ``LIVECLASS_SECRET_KEY``; each save replaces the record at once.

    Two processes refreshing the same organization's rotating Zoom token at
    the same moment can still race; the later save wins and the loser's next
    call is refused once and refreshes again from what is stored.
    """

    def __init__(self, db: Database, box: SecretBox, *, clock: Clock = utcnow) -> None:
        self._db = db
        self._box = box
        self._clock = clock

    async def load(self, org_id: str, provider: str) -> TokenData | None:
        record, _ = await self.load_with_time(org_id, provider)
        return record

    async def load_with_time(
        self, org_id: str, provider: str
    ) -> tuple[TokenData | None, datetime | None]:
        """The record and when it was last saved."""
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(_pc.sealed, _pc.updated_at).where(
                        _pc.org_id == org_id, _pc.provider == provider
                    )
                )
            ).first()
        if row is None:
            return None, None
        data: TokenData = json.loads(self._box.open(row.sealed))
        return data, row.updated_at

    async def save(self, org_id: str, provider: str, data: TokenData) -> None:
        sealed = self._box.seal(json.dumps(data))
        now = self._clock()
        async with self._db.write() as conn:
            stmt = self._db.upsert(provider_credentials).values(
                org_id=org_id, provider=provider, sealed=sealed, updated_at=now
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["org_id", "provider"],
                    set_={"sealed": sealed, "updated_at": now},
                )
            )

    async def delete(self, org_id: str, provider: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                provider_credentials.delete().where(_pc.org_id == org_id, _pc.provider == provider)
            )
        return bool(result.rowcount)
