"""Recordings of a class: who may see, play, download and delete them, and their grants.

The rules are :mod:`server.domain.recording_access`; this module fetches what
they need.  A recording of another organization, an unknown one and a
tombstoned one are all 404; in the caller's organization a recording the
caller may not use is 403 (listing simply leaves it out).  Provider calls
(links, deletion) happen outside database transactions, and deletion changes
nothing here unless the provider agreed first.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, or_, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth import Principal
from ..db.tables import recording_grants, recordings
from ..domain.recording_access import AccessLevel, Grant, GrantScope, Rights, Viewer, rights_of
from ..errors import Forbidden, NotFound, bad_field
from ..providers.recording_backends import RecordingBackend, RecordingRef, StoredLinks
from ..schemas.common import Page
from ..schemas.recordings import GrantCreate, GrantOut, RecordingOut
from .access import class_standing
from .context import ServiceContext
from .recording_files import RecordingFile, store_recording_files, tombstone_recordings

__all__ = [
    "ClassRecordings",
    "RecordingBackend",
    "RecordingFile",
    "RecordingRef",
    "class_recordings",
    "delete",
    "download_link",
    "for_class",
    "grant",
    "grants",
    "play_link",
    "recorded_classes",
    "revoke",
    "store_recording_files",
    "tombstone_recordings",
]

log = logging.getLogger("liveclass.recordings")

_rc = recordings.c
_gc = recording_grants.c
_STORED_LINKS = StoredLinks()


@dataclass(frozen=True, slots=True)
class _Target:
    """A live recording of the caller's organization and what the caller may do with it."""

    row: RowMapping
    viewer: Viewer
    rights: Rights

    @property
    def recording_id(self) -> str:
        return str(self.row["id"])


async def for_class(
    ctx: ServiceContext, principal: Principal, class_id: str, page: Page
) -> tuple[list[RecordingOut], int]:
    """Outsiders of the course reach a class's recordings through public or user grants."""
    async with ctx.db.read() as conn:
        standing = await class_standing(conn, principal, class_id)
        viewer = Viewer(principal.user_id, standing.role, standing.enrolled)
        recorded = await class_recordings(conn, class_id, now=ctx.clock())
    items = recorded.accessible_to(viewer)
    return items[page.offset : page.offset + page.limit], len(items)


# -- grants ----------------------------------------------------------------


async def grant(
    ctx: ServiceContext, principal: Principal, recording_id: str, body: GrantCreate
) -> GrantOut:
    now = ctx.clock()
    async with ctx.db.write() as conn:
        target = await _editable(ctx, conn, principal, recording_id)
        values = {
            "id": secrets.token_hex(12),
            "recording_id": target.recording_id,
            "org_id": principal.org_id,
            "scope": _checked_scope(body).value,
            "user_id": body.user_id,
            "level": AccessLevel(body.level).value,
            "expires_at": _checked_expiry(body.expires_at, now),
            "created_by": principal.user_id,
            "created_at": now,
        }
        await conn.execute(insert(recording_grants).values(**values))
    return _grant_out(values, now)


async def grants(ctx: ServiceContext, principal: Principal, recording_id: str) -> list[GrantOut]:
    """Every grant of the recording, expired ones included (``active`` false)."""
    now = ctx.clock()
    async with ctx.db.read() as conn:
        await _editable(ctx, conn, principal, recording_id)
        rows = await _grant_rows(conn, recording_id)
    return [_grant_out(row, now) for row in rows]


async def revoke(
    ctx: ServiceContext, principal: Principal, recording_id: str, grant_id: str
) -> None:
    async with ctx.db.write() as conn:
        await _editable(ctx, conn, principal, recording_id)
        result = await conn.execute(
            sql_delete(recording_grants).where(_gc.id == grant_id, _gc.recording_id == recording_id)
        )
        if result.rowcount == 0:
            raise NotFound("no such grant on this recording")


# -- the files ---------------------------------------------------------------


async def play_link(ctx: ServiceContext, principal: Principal, recording_id: str) -> str:
    target = await _target_now(ctx, principal, recording_id)
    if not target.rights.can_access:
        raise Forbidden("you may not watch this recording")
    return await _backend(ctx, target).play_link(_ref(ctx, target.row))


async def download_link(ctx: ServiceContext, principal: Principal, recording_id: str) -> str:
    target = await _target_now(ctx, principal, recording_id)
    if not target.rights.can_download:
        raise Forbidden("you may not download this recording")
    return await _backend(ctx, target).download_link(_ref(ctx, target.row))


async def delete(ctx: ServiceContext, principal: Principal, recording_id: str) -> None:
    """Hosts only; the provider deletes first (a failure is 502 and changes nothing)."""
    target = await _target_now(ctx, principal, recording_id)
    if target.viewer.role is None or not target.viewer.role.is_host:
        raise Forbidden("only the class's hosts may delete a recording")
    await _backend(ctx, target).delete(_ref(ctx, target.row))
    async with ctx.db.write() as conn:
        await conn.execute(
            update(recordings)
            .where(_rc.id == recording_id, _rc.deleted_at.is_(None))
            .values(deleted_at=ctx.clock())
        )


# -- helpers -----------------------------------------------------------------


async def _target_now(ctx: ServiceContext, principal: Principal, recording_id: str) -> _Target:
    async with ctx.db.read() as conn:
        return await _target(ctx, conn, principal, recording_id)


async def _target(
    ctx: ServiceContext, conn: AsyncConnection, principal: Principal, recording_id: str
) -> _Target:
    row = (
        (
            await conn.execute(
                select(recordings).where(
                    _rc.id == recording_id,
                    _rc.org_id == principal.org_id,
                    _rc.deleted_at.is_(None),
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("no such recording")
    standing = await class_standing(conn, principal, row["class_id"])
    viewer = Viewer(principal.user_id, standing.role, standing.enrolled)
    now = ctx.clock()
    grants = await _active_grants(conn, [recording_id], now)
    return _Target(row, viewer, rights_of(viewer, grants.get(recording_id, ()), now))


async def _editable(
    ctx: ServiceContext, conn: AsyncConnection, principal: Principal, recording_id: str
) -> _Target:
    target = await _target(ctx, conn, principal, recording_id)
    if not target.rights.can_edit:
        raise Forbidden("only hosts and holders of an edit grant may manage access")
    return target


def _backend(ctx: ServiceContext, target: _Target) -> RecordingBackend:
    return ctx.recording_backends.get(target.row["provider"], _STORED_LINKS)


def _ref(ctx: ServiceContext, row: RowMapping) -> RecordingRef:
    return RecordingRef(
        recording_id=row["id"],
        org_id=row["org_id"],
        class_id=row["class_id"],
        provider=row["provider"],
        provider_file_id=row["provider_file_id"],
        meeting_uuid=row["meeting_uuid"],
        provider_file_type=row["provider_file_type"],
        download_url=row["download_url"],
        play_url=row["play_url"],
        download_token=_fresh_token(ctx, row),
    )


def _fresh_token(ctx: ServiceContext, row: RowMapping) -> str | None:
    sealed, expires_at = row["download_token_sealed"], row["download_token_expires_at"]
    if sealed is None or expires_at is None or expires_at <= ctx.clock():
        return None
    try:
        return ctx.secret_box.open(sealed)
    except ValueError:
        # Sealed under another secret_key: the backend fetches a fresh token instead.
        log.warning("cannot open the download token of recording %s", row["id"])
        return None


@dataclass(frozen=True, slots=True)
class ClassRecordings:
    """A class's live recordings, newest first, and their active grants: the same for every
    viewer, so concurrent joins of one class read them once."""

    rows: Sequence[RowMapping]
    grants: dict[str, list[Grant]]
    now: datetime

    def accessible_to(self, viewer: Viewer) -> list[RecordingOut]:
        items = []
        for row in self.rows:
            rights = rights_of(viewer, self.grants.get(row["id"], ()), self.now)
            if rights.can_access:
                items.append(_recording_out(row, rights))
        return items


async def class_recordings(
    conn: AsyncConnection, class_id: str, *, now: datetime
) -> ClassRecordings:
    rows = (
        (
            await conn.execute(
                select(recordings)
                .where(_rc.class_id == class_id, _rc.deleted_at.is_(None))
                .order_by(_rc.recording_start.desc(), _rc.created_at.desc(), _rc.id)
            )
        )
        .mappings()
        .all()
    )
    grants = await _active_grants(conn, [r["id"] for r in rows], now) if rows else {}
    return ClassRecordings(rows, grants, now)


async def recorded_classes(conn: AsyncConnection, class_ids: Sequence[str]) -> set[str]:
    """Which of these classes have at least one recording that is not deleted."""
    found = await conn.scalars(
        select(_rc.class_id)
        .where(_rc.class_id.in_(list(class_ids)), _rc.deleted_at.is_(None))
        .distinct()
    )
    return set(found.all())


async def _active_grants(
    conn: AsyncConnection, recording_ids: Iterable[str], now: datetime
) -> dict[str, list[Grant]]:
    rows = await conn.execute(
        select(_gc.recording_id, _gc.scope, _gc.level, _gc.user_id, _gc.expires_at).where(
            _gc.recording_id.in_(list(recording_ids)),
            or_(_gc.expires_at.is_(None), _gc.expires_at > now),
        )
    )
    grants: dict[str, list[Grant]] = {}
    for row in rows.mappings():
        grants.setdefault(row["recording_id"], []).append(
            Grant(
                scope=GrantScope(row["scope"]),
                level=AccessLevel(row["level"]),
                user_id=row["user_id"],
                expires_at=row["expires_at"],
            )
        )
    return grants


async def _grant_rows(conn: AsyncConnection, recording_id: str) -> Sequence[RowMapping]:
    result = await conn.execute(
        select(recording_grants)
        .where(_gc.recording_id == recording_id)
        .order_by(_gc.created_at, _gc.id)
    )
    return result.mappings().all()


def _checked_scope(body: GrantCreate) -> GrantScope:
    scope = GrantScope(body.scope)
    if scope is GrantScope.USER and body.user_id is None:
        raise bad_field("user_id", "required when scope is 'user'")
    if scope is not GrantScope.USER and body.user_id is not None:
        raise bad_field("user_id", "accepted only when scope is 'user'")
    return scope


def _checked_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is not None and expires_at <= now:
        raise bad_field("expires_at", "must be in the future")
    return expires_at


def _recording_out(row: RowMapping, rights: Rights) -> RecordingOut:
    return RecordingOut(
        recording_id=row["id"],
        file_name=row["file_name"],
        file_type=row["file_type"],
        recording_type=row["recording_type"],
        file_size_mb=row["file_size_mb"],
        recording_start=row["recording_start"],
        recording_end=row["recording_end"],
        can_access=rights.can_access,
        can_download=rights.can_download,
        created_at=row["created_at"],
    )


def _grant_out(row: Mapping[Any, Any], now: datetime) -> GrantOut:
    return GrantOut(
        grant_id=row["id"],
        recording_id=row["recording_id"],
        scope=row["scope"],
        user_id=row["user_id"],
        level=row["level"],
        expires_at=row["expires_at"],
        active=row["expires_at"] is None or row["expires_at"] > now,
        created_by=row["created_by"],
        created_at=row["created_at"],
    )
