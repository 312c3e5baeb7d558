"""The ``liveclass`` command: ``serve``, ``migrate``, ``token`` and ``version``.

Configuration comes from ``LIVECLASS_*`` variables (and ``.env`` in the working
directory), exactly as for the server; a bad value exits with status 2 and a
message naming the variable.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta
from types import FrameType

from . import __version__
from .settings import ConfigError, Settings, load_settings

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandFailed(Exception):
    """A clean failure: its message goes to stderr, then exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _settings(keys: Sequence[str] = ()) -> Settings:
    """The configuration, with the ``keys`` it lacks from the key file (SQLite) or exit 2."""
    from .keyfile import with_keys

    try:
        return with_keys(load_settings(), keys)
    except ConfigError as exc:
        raise CommandFailed(str(exc), EXIT_USAGE) from None
    except OSError as exc:  # e.g. LIVECLASS_JWT_PUBLIC_KEY=@missing.pem
        raise CommandFailed(f"invalid configuration: {exc}", EXIT_USAGE) from None


# -- serve ---------------------------------------------------------------------


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(EXIT_OK)


def _serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from .app import create_app
    from .keyfile import KEYS
    from .logs import configure_logging
    from .migrate import upgrade

    configured = _settings()
    configure_logging(json_lines=configured.log_json, level=configured.log_level)
    settings = _settings(KEYS)  # after logging: a newly generated key file is logged
    log = logging.getLogger("liveclass")
    if settings.is_sqlite:
        log.info("applying pending migrations to %s", settings.database_url)
        upgrade(settings.database_url)
    else:
        log.info("PostgreSQL: apply migrations with `liveclass migrate` before starting")
    app = create_app(settings)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal with the
    # previous handler restored: make that handler a clean exit (status 0), which
    # is what Docker and systemd expect from a completed shutdown.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        lifespan="on",
        ws_per_message_deflate=settings.websocket_compression,
        # Trust X-Forwarded-* only from $FORWARDED_ALLOW_IPS (default 127.0.0.1).
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
        log_config=None,  # keep configure_logging's handlers
        access_log=False,  # our middleware logs each request with its id
    )
    return EXIT_OK


# -- migrate -------------------------------------------------------------------


def _migrate(args: argparse.Namespace) -> int:
    import logging

    from alembic import command
    from alembic.util import CommandError

    from .migrate import alembic_config

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    config = alembic_config(settings.database_url)
    try:
        if args.action == "upgrade":
            command.upgrade(config, args.revision or "head")
        elif args.action == "downgrade":
            command.downgrade(config, args.revision or "-1")
        elif args.action == "check":
            command.check(config)
        else:
            command.current(config)
    except CommandError as exc:
        raise CommandFailed(f"migrate {args.action}: {exc}") from None
    except OSError as exc:
        raise CommandFailed(f"migrate {args.action}: database unreachable: {exc}") from None
    return EXIT_OK


# -- token ---------------------------------------------------------------------


def _token(args: argparse.Namespace) -> int:
    from .auth import Role, issue_token
    from .errors import LiveclassError
    from .keyfile import key_file_path

    if args.ttl <= 0:
        raise CommandFailed("--ttl must be a positive number of seconds", EXIT_USAGE)
    configured = _settings()
    settings = _settings(["jwt_secret"])
    if settings.jwt_secret != configured.jwt_secret:
        print(
            f"note: LIVECLASS_JWT_SECRET is not set; signed with the key in "
            f"{key_file_path(settings)}, as `liveclass serve` verifies",
            file=sys.stderr,
        )
    try:
        token = issue_token(
            settings,
            sub=args.sub,
            org=args.org,
            role=Role(args.role),
            name=args.name,
            email=args.email,
            ttl=timedelta(seconds=args.ttl),
        )
    except LiveclassError as exc:
        raise CommandFailed(str(exc), EXIT_USAGE) from None
    print(token)
    return EXIT_OK


# -- version -------------------------------------------------------------------


def _version(args: argparse.Namespace) -> int:
    print(f"liveclass {__version__}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liveclass",
        description="The live part of a learning platform. Configure with LIVECLASS_* variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP + Socket.IO server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="apply or inspect database migrations")
    migrate.add_argument(
        "action",
        nargs="?",
        default="upgrade",
        choices=["upgrade", "downgrade", "check", "current"],
        help="upgrade (default), downgrade, check (schema matches the code), current",
    )
    migrate.add_argument(
        "revision", nargs="?", help="target revision (upgrade: head, downgrade: -1)"
    )
    migrate.set_defaults(run=_migrate)

    token = commands.add_parser("token", help="sign a JWT the way the platform would")
    token.add_argument("--sub", required=True, help="user id")
    token.add_argument("--org", required=True, help="organization id")
    token.add_argument("--name", help="display name")
    token.add_argument("--role", default="student", choices=["student", "mentor", "admin"])
    token.add_argument("--email")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    token.set_defaults(run=_token)

    version = commands.add_parser("version", help="print the version")
    version.set_defaults(run=_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CommandFailed as exc:
        print(f"liveclass: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
