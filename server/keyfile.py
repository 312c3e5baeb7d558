"""The server's keys when none are configured: generated once, kept beside the SQLite data.

There is no default key: a key in the source is a key every attacker has.
``LIVECLASS_JWT_SECRET`` (HS* tokens) and ``LIVECLASS_SECRET_KEY`` (secrets at
rest, OAuth state) come from the configuration, or, on SQLite only, from
``<database file>.keys``: a JSON object with both, created with fresh random
values on first use, readable by its owner alone (0600).  ``liveclass serve``
and ``liveclass token`` read the same file, so tokens signed locally verify.
On PostgreSQL (several processes, often several machines) the keys must be
configured: a file on one machine would not be shared.

The file is written to a temporary name and hard-linked into place, so two
processes starting together agree on one set of keys and never read half a
file.  A key file that others may read is refused: chmod 600 it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

from .settings import ConfigError, Settings

__all__ = ["KEYS", "key_file_path", "with_keys"]

log = logging.getLogger("liveclass")

#: The settings the key file can supply.
KEYS = ("jwt_secret", "secret_key")
_MIN_LENGTH = 32


def key_file_path(settings: Settings) -> Path | None:
    """``<database file>.keys`` for a SQLite file; ``None`` for PostgreSQL or in-memory SQLite."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.keys")


def with_keys(settings: Settings, needed: Iterable[str] = KEYS) -> Settings:
    """``settings`` with each ``needed`` key that is not configured taken from the key file.

    Raises :class:`ConfigError` naming the variables when they must be configured
    (PostgreSQL), or naming the file when it cannot be created or read safely.
    """
    missing = [name for name in needed if _wanted(settings, name) and not getattr(settings, name)]
    if not missing:
        return settings
    path = key_file_path(settings)
    if path is None:
        names = " and ".join(f"LIVECLASS_{name.upper()}" for name in missing)
        raise ConfigError(
            f"{names} must be set: keys are generated only for a SQLite database file "
            "(generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    stored = _load_or_create(path)
    return settings.model_copy(update={name: stored[name] for name in missing})


def _wanted(settings: Settings, name: str) -> bool:
    if name == "jwt_secret":
        return settings.jwt_algorithms[0].startswith("HS")
    return True


def _load_or_create(path: Path) -> dict[str, str]:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    fresh = {name: secrets.token_urlsafe(48) for name in KEYS}
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(fresh, out)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:  # another process got there first: use its keys
            return _read(path)
    except OSError as exc:
        raise ConfigError(f"cannot create the key file {path}: {exc.strerror or exc}") from None
    finally:
        draft.unlink(missing_ok=True)
    log.info("generated the server's keys in %s (keep it private; back it up with the data)", path)
    return fresh


def _read(path: Path) -> dict[str, str]:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigError(f"cannot read the key file {path}: {exc.strerror or exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"the key file {path} is open to other users: chmod 600 {path}")
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict) or not all(
        isinstance(values.get(name), str) and len(values[name]) >= _MIN_LENGTH for name in KEYS
    ):
        raise ConfigError(
            f"the key file {path} is damaged: it must hold a JSON object with "
            + " and ".join(KEYS)
            + f" of at least {_MIN_LENGTH} characters each"
        )
    return {name: str(values[name]) for name in KEYS}
