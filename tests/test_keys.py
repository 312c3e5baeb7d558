"""No public default key: generated per SQLite database (0600), required on PostgreSQL."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import jwt
import pytest

from server import keyfile
from server.app import create_app
from server.auth import Role, TokenVerifier, issue_token
from server.errors import Unauthorized
from server.keyfile import key_file_path, with_keys
from server.settings import ConfigError, Settings
from tests.support.processes import cli_env, liveclass, serve_process

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1/unused"
#: The development secret earlier versions accepted when none was configured.
FORMER_DEFAULT = "liveclass-development-secret-change-me-0123456789"


def sqlite_settings(folder: Path, **values: object) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'school.db'}",
        _env_file=None,
        **values,  # type: ignore[arg-type]
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_a_private_key_file_and_later_starts_reuse_it(tmp_path: Path) -> None:
    first = with_keys(sqlite_settings(tmp_path))
    path = tmp_path / "school.db.keys"
    assert key_file_path(first) == path
    assert mode_of(path) == 0o600
    assert first.jwt_secret and len(first.jwt_secret) >= 32
    assert first.secret_key and len(first.secret_key) >= 32
    assert first.jwt_secret != first.secret_key
    assert json.loads(path.read_text()) == {
        "jwt_secret": first.jwt_secret,
        "secret_key": first.secret_key,
    }
    second = with_keys(sqlite_settings(tmp_path))
    assert (second.jwt_secret, second.secret_key) == (first.jwt_secret, first.secret_key)
    assert [p.name for p in tmp_path.iterdir()] == ["school.db.keys"]  # no stray drafts


def test_two_databases_get_different_keys(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = (
        with_keys(sqlite_settings(tmp_path / "a")),
        with_keys(sqlite_settings(tmp_path / "b")),
    )
    assert one.jwt_secret != two.jwt_secret and one.secret_key != two.secret_key


def test_configured_keys_win_and_write_no_file(tmp_path: Path) -> None:
    jwt_secret, secret_key = "j" * 40, "s" * 40
    settings = with_keys(sqlite_settings(tmp_path, jwt_secret=jwt_secret, secret_key=secret_key))
    assert (settings.jwt_secret, settings.secret_key) == (jwt_secret, secret_key)
    assert list(tmp_path.iterdir()) == []
    partly = with_keys(sqlite_settings(tmp_path, jwt_secret=jwt_secret))
    assert partly.jwt_secret == jwt_secret
    assert partly.secret_key == json.loads((tmp_path / "school.db.keys").read_text())["secret_key"]


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    with_keys(sqlite_settings(tmp_path))
    path = tmp_path / "school.db.keys"
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        with_keys(sqlite_settings(tmp_path))


@pytest.mark.parametrize(
    "content", ["", "not json", "[]", '{"jwt_secret": "short", "secret_key": "short"}']
)
def test_a_damaged_key_file_is_refused_not_replaced(tmp_path: Path, content: str) -> None:
    path = tmp_path / "school.db.keys"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="damaged"):
        with_keys(sqlite_settings(tmp_path))
    assert path.read_text() == content


def test_a_key_file_that_cannot_be_created_names_it(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'school.db'}", _env_file=None
    )
    with pytest.raises(ConfigError, match="cannot create the key file"):
        with_keys(settings)


@pytest.mark.parametrize(
    ("values", "named", "not_named"),
    [
        ({}, ["LIVECLASS_JWT_SECRET", "LIVECLASS_SECRET_KEY"], []),
        ({"jwt_secret": "j" * 40}, ["LIVECLASS_SECRET_KEY"], ["LIVECLASS_JWT_SECRET"]),
        ({"secret_key": "s" * 40}, ["LIVECLASS_JWT_SECRET"], ["LIVECLASS_SECRET_KEY"]),
    ],
)
def test_postgresql_requires_configured_keys(
    values: dict[str, str], named: list[str], not_named: list[str]
) -> None:
    settings = Settings(database_url=POSTGRES, _env_file=None, **values)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as raised:
        with_keys(settings)
    for name in named:
        assert name in str(raised.value)
    for name in not_named:
        assert name not in str(raised.value)


def test_without_keys_the_app_refuses_to_build() -> None:
    with pytest.raises(ConfigError, match="LIVECLASS_SECRET_KEY"):
        create_app(Settings(jwt_secret="j" * 40, _env_file=None))
    with pytest.raises(ConfigError, match="LIVECLASS_JWT_SECRET"):
        TokenVerifier(Settings(secret_key="s" * 40, _env_file=None))


def test_no_key_in_the_source_is_accepted(tmp_path: Path) -> None:
    """A token signed with any string literal of the server's source does not verify."""
    settings = with_keys(sqlite_settings(tmp_path))
    verifier = TokenVerifier(settings)
    claims = {"sub": "u1", "org": "acme", "role": "admin", "exp": 4_102_444_800}
    literals = {FORMER_DEFAULT} | {
        literal
        for source in Path(keyfile.__file__).parent.rglob("*.py")
        for literal in _string_literals(source)
        if len(literal.encode()) >= 32
    }
    assert len(literals) > 50  # the scan really read the source
    for literal in literals:
        with pytest.raises(Unauthorized, match="invalid token"):
            verifier.verify(jwt.encode(claims, literal, "HS256"))


def _string_literals(source: Path) -> list[str]:
    import ast

    tree = ast.parse(source.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.slow
def test_serve_with_nothing_configured_accepts_tokens_from_liveclass_token(
    tmp_path: Path,
) -> None:
    env = cli_env(LIVECLASS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'school.db'}")
    for start in ("first", "second"):
        with serve_process(tmp_path, env, name=start) as running:
            path = tmp_path / "school.db.keys"
            assert mode_of(path) == 0o600
            signed = liveclass(
                tmp_path, "token", "--sub", "a1", "--org", "acme", "--role", "admin", env=env
            )
            assert signed.returncode == 0, signed.stderr
            assert str(path) in signed.stderr
            token = signed.stdout.strip()
            course = httpx.put(
                f"{running.url}/api/courses/c1",
                json={"title": "Course 1", "mentors": []},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert course.status_code == 200, course.text
            stored = json.loads(path.read_text())
            if start == "first":
                keys = stored
                assert "generated the server's keys" in running.output()
            else:
                assert stored == keys  # the second start reused the file
            # A token under any other key is refused by this server.
            forged = issue_token(
                Settings(jwt_secret="x" * 40, _env_file=None),
                sub="a1",
                org="acme",
                role=Role.ADMIN,
            )
            refused = httpx.get(
                f"{running.url}/api/live-classes",
                headers={"Authorization": f"Bearer {forged}"},
                timeout=10,
            )
            assert refused.status_code == 401


@pytest.mark.parametrize(
    "command", [["serve", "--port", "1"], ["token", "--sub", "u", "--org", "o"]]
)
def test_postgresql_without_keys_exits_2_naming_them(tmp_path: Path, command: list[str]) -> None:
    done = liveclass(tmp_path, *command, env=cli_env(LIVECLASS_DATABASE_URL=POSTGRES))
    assert done.returncode == 2, done.stderr
    assert "LIVECLASS_JWT_SECRET" in done.stderr
    if command[0] == "serve":
        assert "LIVECLASS_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert list(tmp_path.glob("*.keys")) == []
