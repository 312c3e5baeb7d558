"""Fixtures of the webhook tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.support.backends import Backend
from tests.support.google import GoogleWorld, google_world


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def google(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GoogleWorld]:
    """The app (two instances) against a fake Google; see :mod:`tests.support.google`."""
    async with google_world(backend, tmp_path_factory.mktemp("google")) as world:
        yield world
