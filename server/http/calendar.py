"""Calendar feed routes: tokens for their owners, and the feed itself (no bearer token)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..schemas.calendar import FeedCreate, FeedCreated, FeedOut
from ..services import calendar_feeds
from .routing import Call, api
from .state import state_of

__all__ = ["operations"]

TAG = "calendar"
FEEDS = "/api/calendar-feeds"
FEED = FEEDS + "/{feed_id}"


@api("GET", FEEDS, summary="The caller's calendar feeds", tag=TAG, response=list[FeedOut])
async def list_feeds(call: Call[Any, Any]) -> list[FeedOut]:
    return await calendar_feeds.feeds(call.ctx, call.principal)


@api(
    "POST",
    FEEDS,
    summary="Create a feed of the caller's classes or of a course (its URL is shown only now)",
    tag=TAG,
    body=FeedCreate,
    response=FeedCreated,
    status=201,
)
async def create_feed(call: Call[FeedCreate, Any]) -> FeedCreated:
    return await calendar_feeds.create(call.ctx, call.principal, call.body)


@api(
    "POST",
    FEED + "/rotate",
    summary="A new URL for the feed; the old one stops working",
    tag=TAG,
    response=FeedCreated,
)
async def rotate_feed(call: Call[Any, Any]) -> FeedCreated:
    return await calendar_feeds.rotate(call.ctx, call.principal, call.path("feed_id"))


@api("DELETE", FEED, summary="Revoke a feed", tag=TAG, response=dict[str, bool])
async def revoke_feed(call: Call[Any, Any]) -> dict[str, bool]:
    await calendar_feeds.revoke(call.ctx, call.principal, call.path("feed_id"))
    return {"revoked": True}


@api(
    "GET",
    "/calendar/{token}.ics",
    summary="The feed (iCalendar); the token in the URL is the credential",
    tag=TAG,
    extra_content=("text/calendar",),
    public=True,
)
async def feed(request: Request) -> Response:
    ics = await calendar_feeds.render(state_of(request).ctx, request.path_params["token"])
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


operations = [list_feeds, create_feed, rotate_feed, revoke_feed, feed]
