"""The one typed object ``create_app`` keeps on the Starlette app, as routes see it.

Routes reach it with ``state_of(request)``, so mypy checks every use
(Starlette's own ``app.state`` is untyped).  It holds what requests read; the
app stores a subclass that adds the long-running parts its lifespan starts and
stops (``server.app.Runtime``), which the transport layer does not know.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from ..db.inbox import Inbox
from ..metrics import Metrics
from ..services.context import ServiceContext
from ..webhooks.worker import WebhookWorker

__all__ = ["AppState", "Probe", "app_state", "state_of"]

# A readiness check: returns when its backing service works, raises otherwise.
Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class AppState:
    ctx: ServiceContext
    metrics: Metrics
    readiness: Mapping[str, Probe]
    openapi: dict[str, Any]
    # Provider webhooks: the stored events and the worker applying them.
    inbox: Inbox
    webhook_worker: WebhookWorker


def app_state(app: Starlette) -> AppState:
    state = app.state.liveclass
    assert isinstance(state, AppState), "the app was not built by create_app"
    return state


def state_of(request: Request) -> AppState:
    return app_state(request.app)
