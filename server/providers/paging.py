"""Walking token-paged list endpoints as one async iterator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

__all__ = ["paginate"]


async def paginate(
    fetch_page: Callable[[str | None], Awaitable[Mapping[str, Any]]],
    *,
    items: str,
    next_token: str,
) -> AsyncIterator[dict[str, Any]]:
    """Yield ``page[items]`` of every page, following ``page[next_token]``.

    A missing or empty token ends the walk (Zoom sends ``""`` on the last page,
    Google omits the field).  Pages are fetched lazily, one at a time.
    """
    token: str | None = None
    while True:
        page = await fetch_page(token)
        for item in page.get(items) or ():
            yield item
        token = page.get(next_token) or None
        if token is None:
            return
