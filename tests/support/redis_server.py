"""A throwaway ``redis-server`` of the test's own on a free port, to kill and restart at will.

The shared Redis on 6379 is never touched.  Without ``redis-server`` on the
machine the test is skipped, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.fakes.serving import free_port

from .waiting import wait_until_sync

__all__ = ["OwnRedis", "own_redis"]


class OwnRedis:
    def __init__(self, binary: str, folder: Path) -> None:
        self._binary = binary
        self._folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (again, on the same port) and wait until it answers PING (10 s at most)."""
        self._process = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        process = self._process

        def answers() -> bool:
            assert process.poll() is None, "redis-server exited at start"
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_until_sync(answers, within=10, what="redis-server answering")
        finally:
            client.close()

    def kill(self) -> None:
        """``kill -9``: no goodbye to the clients, every key gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None


@contextmanager
def own_redis(folder: Path) -> Iterator[OwnRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs {message}", pytrace=False)
        pytest.skip(message)
    server = OwnRedis(binary, folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()
