"""Limits the server configures or validates, read where they are defined, for tests to follow."""

from __future__ import annotations

from dataclasses import dataclass

import limits

from server.schemas.common import Page

__all__ = ["PAGE_LIMIT_MAX", "Rate", "rate"]

# The largest ``?limit=`` a paged list accepts.
PAGE_LIMIT_MAX: int = Page.model_json_schema()["properties"]["limit"]["maximum"]


@dataclass(frozen=True)
class Rate:
    amount: int  # calls allowed per window
    window_seconds: int


def rate(setting: str) -> Rate:
    """``"5 per 5 seconds"`` (a ``LIVECLASS_RATE_LIMIT_*`` value) as ``Rate(5, 5)``."""
    item = limits.parse(setting)
    return Rate(item.amount, item.get_expiry())
