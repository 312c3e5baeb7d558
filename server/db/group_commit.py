"""Group commit: many concurrent callers' writes stored by one statement in one transaction.

A transaction costs the same three round trips (``BEGIN``, the statement,
``COMMIT``) and a pooled connection whether it stores one row or two
hundred.  :class:`GroupCommit` writes the first item at once; items that
arrive while that write is in flight wait and go together in the next one, so
a burst costs a handful of transactions and a lone item waits for nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["MAX_BATCH", "GroupCommit"]

MAX_BATCH = 200

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``write(items)`` stores a batch and returns one result per item, in order.

    If it raises, the batch's items are written again one at a time, so an
    item the write refuses fails alone and the others are stored.  A caller
    that stops waiting (cancelled) does not take its item out of a batch
    already being written.
    """

    def __init__(
        self, write: Callable[[list[T]], Awaitable[list[R]]], *, max_batch: int = MAX_BATCH
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="liveclass-group-commit")
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._store(batch)
        except BaseException:  # cancelled (shutdown): nobody may wait forever
            for _, future in [*batch, *self._waiting]:
                future.cancel()
            self._waiting.clear()
            raise

    async def _store(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            for one in batch:
                await self._store([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _resolve(future, result)


def _resolve(future: asyncio.Future[R], result: R) -> None:
    if not future.done():  # done: its caller stopped waiting
        future.set_result(result)


def _fail(future: asyncio.Future[R], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
