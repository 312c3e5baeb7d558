"""Builds the one ASGI app: Starlette for HTTP, python-socketio for the classroom.

``create_app(settings)`` wires every adapter in the lifespan: the database,
the providers, the Socket.IO server (with Redis when configured) and the
service context the routes and socket handlers share.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import socketio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from . import __version__
from .auth import TokenVerifier
from .crypto import SecretBox
from .db import Database
from .db.inbox import Inbox
from .errors import LiveclassError, NotFound
from .heap import settle_heap
from .http import (
    calendar,
    classes,
    courses,
    integrations,
    interactions,
    notifications,
    outbound,
    recordings,
    reports,
    series,
    webhooks,
)
from .http.middleware import RequestObserver
from .http.openapi import openapi_document
from .http.ops import ops_routes
from .http.responses import error_response, json_response
from .http.routing import build_routes
from .http.state import AppState, Probe, app_state
from .metrics import Metrics
from .migrate import check_schema
from .outbound.sender import Sender
from .outbound.worker import DeliveryWorker
from .providers.base import MeetingProvider, ProviderRegistry
from .providers.credential_store import DatabaseCredentialStore
from .providers.google_meet import GoogleClient, GoogleMeetProvider
from .providers.google_recordings import GoogleMeetRecordings
from .providers.jitsi import JitsiProvider
from .providers.manual import ManualProvider
from .providers.zoom import ZoomClient, ZoomProvider
from .providers.zoom_recordings import ZoomRecordings
from .realtime import handlers
from .realtime.broker import Broker
from .realtime.fastpath import install as install_fanout
from .realtime.hub import Hub
from .realtime.presence import Presence
from .realtime.server import create_socket_server
from .redis_pool import connect_redis
from .reminders.mail import SmtpSender
from .reminders.mailer import Mailer
from .reminders.planner import ReminderPlanner
from .reminders.worker import ReminderWorker
from .services.accounts import Accounts, Provider
from .services.context import ServiceContext
from .services.ratelimit import RateLimiter
from .settings import Settings
from .web.pages import page_routes
from .webhooks.google_channels import ChannelRenewer
from .webhooks.google_effects import GoogleEffects
from .webhooks.worker import WebhookWorker
from .webhooks.zoom_effects import ZoomEffects
from .webhooks.zoom_report import ZoomReportPull

__all__ = ["Runtime", "create_app", "runtime_of"]

log = logging.getLogger("liveclass")

OPERATIONS = [
    *courses.operations,
    *classes.operations,
    *interactions.operations,
    *recordings.operations,
    *notifications.operations,
    *webhooks.operations,
    *outbound.operations,
    *calendar.operations,
    *reports.operations,
    *series.operations,
    *integrations.operations,
]


@dataclass(frozen=True)
class Runtime(AppState):
    """The app's one state object: what routes read (``AppState``) and the running
    parts the lifespan starts and stops, which tests also reach through it."""

    sio: socketio.AsyncServer
    hub: Hub
    broker: Broker
    # Provider clients, closed at shutdown.
    zoom: ZoomClient
    google: GoogleClient
    zoom_effects: ZoomEffects
    google_channels: ChannelRenewer
    # Webhooks to the platform, and e-mail reminders.
    deliveries: DeliveryWorker
    reminders: ReminderWorker


def runtime_of(app: Starlette) -> Runtime:
    state = app_state(app)
    assert isinstance(state, Runtime), "the app was not built by create_app"
    return state


def default_providers(settings: Settings) -> dict[str, MeetingProvider]:
    """The providers that need no account: Jitsi and manual links."""
    return {
        "jitsi": JitsiProvider(
            settings.jitsi_domain,
            app_id=settings.jitsi_app_id,
            app_secret=settings.jitsi_app_secret,
            audience=settings.jitsi_audience,
        ),
        "manual": ManualProvider(),
    }


def create_app(
    settings: Settings, *, providers: dict[str, MeetingProvider] | None = None
) -> socketio.ASGIApp:
    metrics = Metrics()
    tokens = TokenVerifier(settings)
    sio = create_socket_server(
        tokens,
        metrics,
        cors_origins=settings.cors_origins,
        max_event_bytes=settings.socket_max_event_bytes,
    )
    fanout = install_fanout(sio, metrics, max_unsent_bytes=settings.socket_max_unsent_bytes)
    db = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout_seconds,
    )
    redis = connect_redis(settings)

    def now() -> datetime:
        # For what is built before the context: read its clock at each call, so a
        # test that steers ``ctx.clock`` steers presence and the credential store too.
        return ctx.clock()

    presence = Presence(
        db,
        f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}",
        redis=redis,
        prefix=settings.redis_prefix,
        ttl=settings.presence_ttl_seconds,
        clock=now,
    )
    broker = Broker(
        metrics,
        presence,
        redis=redis,
        prefix=settings.redis_prefix,
        interval=settings.presence_ttl_seconds / 3,
    )
    hub = Hub(sio, db, presence, broker, fanout)
    box = SecretBox(settings.encryption_key)
    credentials = DatabaseCredentialStore(db, box, clock=now)
    zoom = ZoomClient.from_settings(settings, store=credentials)
    google = GoogleClient.from_settings(settings, store=credentials)
    registry: dict[str, MeetingProvider] = {
        "zoom": ZoomProvider(zoom),
        "google_meet": GoogleMeetProvider(google),
        **default_providers(settings),
        **(providers or {}),
    }
    inbox = Inbox(
        db,
        max_attempts=settings.webhook_max_attempts,
        retry_base_seconds=settings.webhook_retry_base_seconds,
    )
    ctx = ServiceContext(
        settings=settings,
        db=db,
        providers=ProviderRegistry(registry),
        broadcaster=hub,
        tokens=tokens,
        secret_box=box,
        limiter=RateLimiter(settings, redis),
        jobs=inbox,
        accounts=Accounts(credentials, _connectable(settings, zoom, google)),
        recording_backends={"zoom": ZoomRecordings(zoom), "google_meet": GoogleMeetRecordings()},
    )
    zoom_effects = ZoomEffects(ctx, ZoomReportPull(zoom, ctx))
    worker = WebhookWorker(
        ctx,
        inbox,
        {"zoom": zoom_effects, "google": GoogleEffects(ctx, google)},
        poll_seconds=settings.webhook_poll_seconds,
    )
    channels = ChannelRenewer(ctx)
    deliveries = DeliveryWorker(
        ctx,
        Sender(
            timeout=settings.outbound_webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private_targets,
        ),
        poll_seconds=settings.outbound_webhook_poll_seconds,
    )
    reminders = ReminderWorker(
        ReminderPlanner(ctx),
        Mailer(ctx, SmtpSender(settings)),
        poll_seconds=settings.reminder_poll_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = runtime_of(app)
        await state.broker.start()
        if settings.webhook_worker:
            state.webhook_worker.start()
        state.google_channels.start()
        if settings.outbound_webhook_worker:
            state.deliveries.start()
        if settings.reminder_worker:
            state.reminders.start()
        settle_heap()
        yield
        await state.reminders.stop()
        await state.deliveries.stop()
        await state.google_channels.stop()
        await state.webhook_worker.stop()
        await state.hub.close()
        await state.broker.stop()
        await state.zoom.aclose()
        await state.google.aclose()
        await state.ctx.db.dispose()

    http = Starlette(
        routes=[*build_routes(OPERATIONS), *ops_routes(), *page_routes()],
        middleware=[
            Middleware(RequestObserver, metrics=metrics),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            ),
        ],
        # Anything else becomes a 500 in RequestObserver.
        exception_handlers={LiveclassError: _liveclass_error, HTTPException: _http_error},
        lifespan=lifespan,
    )
    readiness: dict[str, Probe] = {
        "database": db.ping,
        "schema": lambda: check_schema(db),
    }
    if redis is not None:
        readiness["redis"] = broker.ready
    handlers.register(sio, ctx, hub, metrics)
    http.state.liveclass = Runtime(
        ctx=ctx,
        metrics=metrics,
        readiness=readiness,
        openapi=openapi_document(OPERATIONS, version=__version__),
        sio=sio,
        hub=hub,
        broker=broker,
        zoom=zoom,
        google=google,
        inbox=inbox,
        webhook_worker=worker,
        zoom_effects=zoom_effects,
        google_channels=channels,
        deliveries=deliveries,
        reminders=reminders,
    )
    return socketio.ASGIApp(sio, other_asgi_app=http)


def _connectable(settings: Settings, zoom: ZoomClient, google: GoogleClient) -> dict[str, Provider]:
    """The providers an organization can connect its own account of, by URL name."""
    return {
        "zoom": Provider(
            "zoom",
            "zoom",
            zoom,
            f"{settings.public_url}/api/integrations/zoom/callback",
            server_wide=bool(
                settings.zoom_account_id and settings.zoom_client_id and settings.zoom_client_secret
            ),
        ),
        "google": Provider(
            "google",
            "google_meet",
            google,
            settings.google_redirect_uri
            or f"{settings.public_url}/api/integrations/google/callback",
            server_wide=bool(settings.google_refresh_token),
        ),
    }


async def _liveclass_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LiveclassError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(NotFound("no such route"))
    code = {405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    return json_response(
        {"success": False, "error": {"code": code, "message": str(exc.detail)}},
        exc.status_code,
        dict(exc.headers or {}),
    )
