"""The ``liveclass`` command: ``serve``, ``demo``, ``migrate``, ``token`` and ``version``.

Configuration comes from ``LIVECLASS_*`` variables (and ``.env`` in the working
directory), exactly as for the server; a bad value exits with status 2 and a
message naming the variable.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta
from types import FrameType
from typing import Any

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


def _prepared_app(host: str, port: int) -> tuple[Settings, Any, socket.socket]:
    """Logging configured, keys loaded, the schema checked, the port bound, the app built:
    what ``serve`` and ``demo`` share. The settings returned carry the keys the server
    verifies tokens with.

    The app's start-up claims the data (it closes presence left open by a
    previous run), so a second server that cannot bind must stop before it.
    """
    from .app import create_app
    from .keyfile import KEYS
    from .logs import configure_logging

    configured = _settings()
    configure_logging(json_lines=configured.log_json, level=configured.log_level)
    settings = _settings(KEYS)  # after logging: a newly generated key file is logged
    log = logging.getLogger("liveclass")
    if settings.is_sqlite:
        _migrate_sqlite(settings, log)
    else:
        _require_current_schema(settings, log)
    listener = _listen(host, port)
    log.info("listening on %s:%d", host, port)
    return settings, create_app(settings), listener


def websocket_options(*, compression: bool) -> dict[str, Any]:
    """uvicorn's websocket settings for liveclass (also used by the test and benchmark servers)."""
    return {
        "ws_per_message_deflate": compression,
        # Engine.IO pings every client itself (pingInterval); uvicorn's own WebSocket
        # pings on top would cost a timer per connection and a frame each 20 s.
        "ws_ping_interval": None,
    }


def _uvicorn_server(app: Any, settings: Settings, host: str, port: int) -> Any:
    import uvicorn

    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal with the
    # previous handler restored: make that handler a clean exit (status 0), which
    # is what Docker and systemd expect from a completed shutdown.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        **websocket_options(compression=settings.websocket_compression),
        # Trust X-Forwarded-* only from $FORWARDED_ALLOW_IPS (default 127.0.0.1).
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
        log_config=None,  # keep configure_logging's handlers
        access_log=False,  # our middleware logs each request with its id
    )
    return uvicorn.Server(config)


def _serve(args: argparse.Namespace) -> int:
    settings, app, listener = _prepared_app(args.host, args.port)
    _uvicorn_server(app, settings, args.host, args.port).run(sockets=[listener])
    return EXIT_OK


# -- demo ----------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    import asyncio

    from .demo import seed_demo

    # Tokens are signed with the server's own keys, as `liveclass token` signs them.
    settings, app, listener = _prepared_app(args.host, args.port)
    server = _uvicorn_server(app, settings, args.host, args.port)
    local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    api_url = f"http://{local}:{args.port}"
    public_url = (args.public_url or api_url).rstrip("/")

    async def run() -> None:
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started:
            if serving.done():
                await serving
                raise CommandFailed(f"the server could not start on {args.host}:{args.port}")
            await asyncio.sleep(0.05)
        try:
            class_id, signins = await seed_demo(settings, api_url, public_url)
        except (RuntimeError, OSError) as exc:
            server.should_exit = True
            await serving
            raise CommandFailed(f"demo: seeding failed: {exc}") from None
        lines = [
            "",
            f"liveclass demo: class {class_id} is live. Open two of these in two browser windows:",
            *(f"  {s.name} ({s.role}): {s.url}" for s in signins),
            f"  (their classes: {public_url}/ after signing in; Ctrl+C stops the server)",
            "",
        ]
        print("\n".join(lines), flush=True)
        await serving

    asyncio.run(run())
    return EXIT_OK


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the app starts; a port in use is a clean failure."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.set_inheritable(True)
    return listener


def _migrate_sqlite(settings: Settings, log: logging.Logger) -> None:
    """SQLite is migrated on start; a file that cannot be opened is a configuration error."""
    from sqlalchemy.exc import DBAPIError

    from .migrate import quiet_alembic, upgrade

    quiet_alembic()
    try:
        upgrade(settings.database_url)
    except DBAPIError as exc:
        raise CommandFailed(
            f"LIVECLASS_DATABASE_URL: cannot open the SQLite database "
            f"{settings.database_url.removeprefix('sqlite+aiosqlite:///')!r}: {exc.orig}",
            EXIT_USAGE,
        ) from None
    log.info("SQLite database ready at revision %s", _head())


def _require_current_schema(settings: Settings, log: logging.Logger) -> None:
    """PostgreSQL is migrated by the operator: refuse to serve a schema this code cannot use."""
    import asyncio

    from sqlalchemy.exc import DBAPIError

    from .db import Database
    from .errors import Unavailable
    from .migrate import SchemaBehind, check_schema

    async def check() -> None:
        db = Database(settings.database_url, pool_size=1)
        try:
            await check_schema(db)
        finally:
            await db.dispose()

    try:
        asyncio.run(check())
    except SchemaBehind as exc:
        raise CommandFailed(exc.message, EXIT_USAGE) from None
    except DBAPIError as exc:  # it answers but refuses: no such database, role, ...
        raise CommandFailed(f"LIVECLASS_DATABASE_URL: {exc.orig}", EXIT_USAGE) from None
    except Unavailable:
        # Serve anyway: /readyz says not ready until the database answers at the right revision.
        log.warning("PostgreSQL is unreachable at start; its schema is checked by /readyz")
    else:
        log.info("PostgreSQL database at revision %s", _head())


def _head() -> str:
    from .migrate import head_revision

    return head_revision()


# -- migrate -------------------------------------------------------------------


def _migrate(args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    from .migrate import alembic_config, quiet_alembic

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    quiet_alembic()  # the revisions applied, one line each, and nothing else
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
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise CommandFailed(f"migrate {args.action}: database unreachable: {reason}") from None
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

    demo = commands.add_parser(
        "demo", help="seed a demo course and live class, serve, print sign-in URLs"
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    demo.add_argument("--public-url", help="base of the printed URLs (default http://HOST:PORT)")
    demo.set_defaults(run=_demo)

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
