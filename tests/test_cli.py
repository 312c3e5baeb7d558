"""The ``liveclass`` command, run as a real subprocess in an empty temporary directory.

The child gets this checkout on ``PYTHONPATH`` (whatever is installed in the
interpreter) and none of the developer's ``LIVECLASS_*`` variables or ``.env``.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
import pytest

import server
from server.auth import Role, TokenVerifier
from server.settings import Settings
from tests.support.backends import TEST_SECRET
from tests.support.processes import cli_env, free_port, liveclass, serve_process, start_cli
from tests.support.waiting import wait_until_sync


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'cli.db'}"


def test_version(tmp_path: Path) -> None:
    done = liveclass(tmp_path, "version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"liveclass {server.__version__}"


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    done = liveclass(tmp_path)
    assert done.returncode == 2
    assert "usage: liveclass" in done.stderr


def test_token_verifies_under_the_same_configuration(tmp_path: Path) -> None:
    env = cli_env(LIVECLASS_JWT_SECRET=TEST_SECRET, LIVECLASS_JWT_ISSUER="platform.test")
    done = liveclass(
        tmp_path,
        "token",
        "--sub",
        "u1",
        "--name",
        "Ada",
        "--role",
        "mentor",
        "--org",
        "acme",
        "--email",
        "ada@example.com",
        "--ttl",
        "600",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    settings = Settings(
        jwt_secret=TEST_SECRET,
        jwt_issuer="platform.test",
        jwt_audience=None,
        jwt_algorithms=["HS256"],
        _env_file=None,
    )
    principal = TokenVerifier(settings).verify(token)
    assert principal.user_id == "u1"
    assert principal.org_id == "acme"
    assert principal.role is Role.MENTOR
    assert principal.name == "Ada"
    assert principal.email == "ada@example.com"


def test_token_without_a_secret_signs_with_the_key_file_and_says_so(tmp_path: Path) -> None:
    done = liveclass(tmp_path, "token", "--sub", "u1", "--org", "acme")
    assert done.returncode == 0, done.stderr
    assert "LIVECLASS_JWT_SECRET" in done.stderr and "liveclass.db.keys" in done.stderr
    assert done.stdout.count(".") == 2  # stdout holds the JWT alone
    keys = json.loads((tmp_path / "liveclass.db.keys").read_text(encoding="utf-8"))
    settings = Settings(jwt_secret=keys["jwt_secret"], _env_file=None)
    assert TokenVerifier(settings).verify(done.stdout.strip()).user_id == "u1"


def test_dotenv_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LIVECLASS_JWT_SECRET=short\n", encoding="utf-8")
    done = liveclass(tmp_path, "token", "--sub", "u1", "--org", "acme")
    assert done.returncode == 2
    assert "LIVECLASS_JWT_SECRET" in done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("LIVECLASS_DATABASE_URL", "mysql://x", ["serve", "--port", "1"]),
        ("LIVECLASS_DATABASE_URL", "mysql://x", ["migrate"]),
        ("LIVECLASS_JWT_SECRET", "short", ["token", "--sub", "u1", "--org", "acme"]),
        ("LIVECLASS_LOG_LEVEL", "LOUD", ["serve", "--port", "1"]),
        ("LIVECLASS_DATABASE_POOL_SIZE", "many", ["serve", "--port", "1"]),
        ("LIVECLASS_CORS_ORIGINS", "https://app.example.org", ["serve", "--port", "1"]),
        ("LIVECLASS_REDIS_URL", "127.0.0.1:6379", ["serve", "--port", "1"]),
        (
            "LIVECLASS_DATABASE_URL",
            "sqlite+aiosqlite:////no/such/folder/liveclass.db",
            ["serve", "--port", "1"],
        ),
    ],
)
def test_bad_configuration_names_the_variable(
    tmp_path: Path, variable: str, value: str, command: list[str]
) -> None:
    done = liveclass(tmp_path, *command, env=cli_env(**{variable: value}))
    assert done.returncode == 2, done.stderr
    assert variable in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_migrate_upgrade_check_downgrade(tmp_path: Path) -> None:
    env = cli_env(LIVECLASS_DATABASE_URL=sqlite_url(tmp_path))

    upgraded = liveclass(tmp_path, "migrate", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    current = liveclass(tmp_path, "migrate", "current", env=env)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
    check = liveclass(tmp_path, "migrate", "check", env=env)
    assert check.returncode == 0, check.stderr

    down = liveclass(tmp_path, "migrate", "downgrade", "base", env=env)
    assert down.returncode == 0, down.stderr
    stale = liveclass(tmp_path, "migrate", "check", env=env)
    assert stale.returncode == 1
    assert "not up to date" in stale.stderr

    again = liveclass(tmp_path, "migrate", "upgrade", "head", env=env)
    assert again.returncode == 0, again.stderr
    assert liveclass(tmp_path, "migrate", "check", env=env).returncode == 0


def test_migrate_to_an_unknown_revision_fails_cleanly(tmp_path: Path) -> None:
    env = cli_env(LIVECLASS_DATABASE_URL=sqlite_url(tmp_path))
    done = liveclass(tmp_path, "migrate", "upgrade", "nope", env=env)
    assert done.returncode == 1
    assert "nope" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_serve_migrates_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = cli_env(LIVECLASS_DATABASE_URL=sqlite_url(tmp_path), LIVECLASS_JWT_SECRET=TEST_SECRET)
    with serve_process(tmp_path, env) as running:
        base = running.url
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        metrics = httpx.get(f"{base}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "liveclass_http_requests" in metrics.text
        # The SQLite file was migrated on start: the API works straight away.
        token = liveclass(
            tmp_path, "token", "--sub", "admin", "--org", "acme", "--role", "admin", env=env
        ).stdout.strip()
        course = httpx.put(
            f"{base}/api/courses/c1",
            json={"title": "Course 1", "mentors": []},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert course.status_code == 200, course.text
        running.process.send_signal(signal.SIGTERM)
        code = running.process.wait(timeout=20)
        output = running.output()
    assert code == 0, output
    assert "Traceback" not in output
    assert "Application shutdown complete" in output


def _run_demo(cwd: Path, env: dict[str, str], name: str) -> tuple[str, dict[str, str], str]:
    """``liveclass demo`` until it prints its sign-in URLs; stopped with SIGTERM."""
    running = start_cli(cwd, env, "demo", name=name, port=free_port())
    process = running.process

    def printed() -> str:
        assert process.poll() is None, running.output()
        return running.output()

    try:
        wait_until_sync(
            lambda: "Ctrl+C stops the server" in printed(), within=60, what="sign-in URLs"
        )
        output = running.output()
        urls = dict(re.findall(r"^  (\w[\w ]+) \((?:mentor|student)\): (\S+)$", output, re.M))
        class_id = re.findall(r"class (\w+) is live", output)[0]
        base = running.url
        tokens = {name: url.split("#token=", 1)[1] for name, url in urls.items()}
        mentor = {"Authorization": f"Bearer {tokens['Maya Mentor']}"}
        listed = httpx.get(
            f"{base}/api/live-classes?course_id=demo-course", headers=mentor, timeout=10
        )
        assert listed.status_code == 200, listed.text
        assert [c["status"] for c in listed.json()["data"]] == ["live"]
        student = {"Authorization": f"Bearer {tokens['Ben Student']}"}
        seen = httpx.get(f"{base}/api/live-classes/{class_id}", headers=student, timeout=10)
        assert seen.status_code == 200, seen.text
        assert seen.json()["data"]["your_role"] == "participant"
        page = httpx.get(urls["Ben Student"].split("#", 1)[0], timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, running.output()
        return class_id, urls, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)


@pytest.mark.slow
def test_demo_seeds_once_serves_and_prints_a_sign_in_per_person(tmp_path: Path) -> None:
    # No secret configured, as in the quick start: the printed tokens are signed with the
    # key the server generated beside the SQLite file, which it also verifies with.
    env = cli_env(LIVECLASS_DATABASE_URL=sqlite_url(tmp_path))
    class_id, urls, output = _run_demo(tmp_path, env, "demo-1")
    assert set(urls) == {"Maya Mentor", "Ben Student", "Chloe Student", "Dev Student"}
    assert all(f"/classes/{class_id}#token=" in url for url in urls.values())
    assert "Traceback" not in output
    # Again on the same database: the same class, nothing duplicated.
    again, _, _ = _run_demo(tmp_path, env, "demo-2")
    assert again == class_id
