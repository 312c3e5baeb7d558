"""Series routes: create from a recurrence rule, read, change or cancel "this and following"."""

from __future__ import annotations

from typing import Any

from ..schemas.classes import ClassUpdate
from ..schemas.series import SeriesCreate, SeriesOut
from ..services import series
from .routing import Call, api

__all__ = ["operations"]

TAG = "live classes"
SERIES = "/api/class-series"
FOLLOWING = SERIES + "/{series_id}/from/{class_id}"


@api(
    "POST",
    SERIES,
    summary="Schedule a series from an RRULE (every class gets its own meeting; all or none)",
    tag=TAG,
    body=SeriesCreate,
    response=SeriesOut,
    status=201,
)
async def create_series(call: Call[SeriesCreate, Any]) -> SeriesOut:
    return await series.create(call.ctx, call.principal, call.body)


@api(
    "GET", SERIES + "/{series_id}", summary="A series and its classes", tag=TAG, response=SeriesOut
)
async def get_series(call: Call[Any, Any]) -> SeriesOut:
    return await series.get(call.ctx, call.principal, call.path("series_id"))


@api(
    "PATCH",
    FOLLOWING,
    summary="Change this class and all following ones of the series",
    tag=TAG,
    body=ClassUpdate,
    response=SeriesOut,
)
async def update_following(call: Call[ClassUpdate, Any]) -> SeriesOut:
    return await series.update_following(
        call.ctx, call.principal, call.path("series_id"), call.path("class_id"), call.body
    )


@api(
    "DELETE",
    FOLLOWING,
    summary="Cancel this class and all following ones of the series",
    tag=TAG,
    response=SeriesOut,
)
async def cancel_following(call: Call[Any, Any]) -> SeriesOut:
    return await series.cancel_following(
        call.ctx, call.principal, call.path("series_id"), call.path("class_id")
    )


operations = [create_series, get_series, update_following, cancel_following]
