"""Serve the fake Zoom and fake Google for running liveclass locally against them.

From the repository root::

    .venv/bin/python -m tests.fakes [--host 127.0.0.1] [--zoom-port 8101] [--google-port 8102]

prints the ``LIVECLASS_*`` lines that point liveclass at them (credentials the
fakes accept included), then serves until interrupted.  Port 0 picks free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .google import FakeGoogle, create_fake_google
from .serving import serve_asgi
from .zoom import FakeZoom, create_fake_zoom


def liveclass_env(zoom: FakeZoom, zoom_url: str, google: FakeGoogle, google_url: str) -> str:
    """``export`` lines that configure liveclass for the fakes served at these URLs."""
    values = {
        "LIVECLASS_ZOOM_ACCOUNT_ID": zoom.account_id,
        "LIVECLASS_ZOOM_CLIENT_ID": zoom.client_id,
        "LIVECLASS_ZOOM_CLIENT_SECRET": zoom.client_secret,
        "LIVECLASS_ZOOM_API_BASE": f"{zoom_url}/v2",
        "LIVECLASS_ZOOM_OAUTH_BASE": zoom_url,
        "LIVECLASS_GOOGLE_CLIENT_ID": google.client_id,
        "LIVECLASS_GOOGLE_CLIENT_SECRET": google.client_secret,
        "LIVECLASS_GOOGLE_REFRESH_TOKEN": google.add_refresh_token(),
        "LIVECLASS_GOOGLE_TOKEN_URL": f"{google_url}/token",
        "LIVECLASS_GOOGLE_CALENDAR_API_BASE": f"{google_url}/calendar/v3",
        "LIVECLASS_GOOGLE_MEET_API_BASE": f"{google_url}/v2",
    }
    return "\n".join(f"export {name}={value}" for name, value in values.items())


async def serve(host: str, zoom_port: int, google_port: int) -> None:
    zoom, google = create_fake_zoom(), create_fake_google()
    async with (
        serve_asgi(zoom.app, lifespan="off", host=host, port=zoom_port) as zoom_url,
        serve_asgi(google.app, lifespan="off", host=host, port=google_port) as google_url,
    ):
        print(f"fake Zoom on {zoom_url}, fake Google on {google_url}", flush=True)
        print(liveclass_env(zoom, zoom_url, google, google_url), flush=True)
        print("Ctrl+C stops the fakes", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes",
        description="Serve the fake Zoom and fake Google; print the LIVECLASS_* lines for them.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--zoom-port", type=int, default=8101, help="0: any free port")
    parser.add_argument("--google-port", type=int, default=8102, help="0: any free port")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.host, arguments.zoom_port, arguments.google_port))


if __name__ == "__main__":
    main()
