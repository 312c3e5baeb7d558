"""Recording routes: thin over :mod:`server.services.recordings`.

Play and download answer ``302`` with the provider URL in ``Location``; that
URL may carry the provider's download token, so the answer is neither cached
nor sent on as a referrer.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse

from ..schemas.common import Page
from ..schemas.recordings import GrantCreate, GrantOut, RecordingOut
from ..services import recordings
from .routing import Call, api

__all__ = ["operations"]

TAG = "recordings"
RECORDING = "/api/recordings/{recording_id}"
_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@api(
    "GET",
    "/api/live-classes/{class_id}/recordings",
    summary="The class's recordings the caller may access, newest first",
    tag=TAG,
    query=Page,
    response=list[RecordingOut],
    paginated=True,
)
async def list_recordings(call: Call[Any, Page]) -> tuple[list[RecordingOut], int]:
    return await recordings.for_class(call.ctx, call.principal, call.path("class_id"), call.query)


@api(
    "POST",
    RECORDING + "/access",
    summary="Grant access (hosts and edit-level holders)",
    tag=TAG,
    body=GrantCreate,
    response=GrantOut,
    status=201,
)
async def create_grant(call: Call[GrantCreate, Any]) -> GrantOut:
    return await recordings.grant(call.ctx, call.principal, call.path("recording_id"), call.body)


@api(
    "GET",
    RECORDING + "/access",
    summary="The recording's grants, expired ones included",
    tag=TAG,
    response=list[GrantOut],
)
async def list_grants(call: Call[Any, Any]) -> list[GrantOut]:
    return await recordings.grants(call.ctx, call.principal, call.path("recording_id"))


@api(
    "DELETE",
    RECORDING + "/access/{grant_id}",
    summary="Revoke a grant",
    tag=TAG,
    response=dict[str, bool],
)
async def delete_grant(call: Call[Any, Any]) -> dict[str, bool]:
    await recordings.revoke(
        call.ctx, call.principal, call.path("recording_id"), call.path("grant_id")
    )
    return {"deleted": True}


@api(
    "GET",
    RECORDING + "/play",
    summary="Redirect to the provider's player",
    tag=TAG,
    status=302,
)
async def play(call: Call[Any, Any]) -> RedirectResponse:
    url = await recordings.play_link(call.ctx, call.principal, call.path("recording_id"))
    return RedirectResponse(url, status_code=302, headers=_PRIVATE)


@api(
    "GET",
    RECORDING + "/download",
    summary="Redirect to the provider's file (with its download token where needed)",
    tag=TAG,
    status=302,
)
async def download(call: Call[Any, Any]) -> RedirectResponse:
    url = await recordings.download_link(call.ctx, call.principal, call.path("recording_id"))
    return RedirectResponse(url, status_code=302, headers=_PRIVATE)


@api(
    "DELETE",
    RECORDING,
    summary="Delete at the provider, then here (hosts)",
    tag=TAG,
    response=dict[str, bool],
)
async def delete_recording(call: Call[Any, Any]) -> dict[str, bool]:
    await recordings.delete(call.ctx, call.principal, call.path("recording_id"))
    return {"deleted": True}


operations = [
    list_recordings,
    create_grant,
    list_grants,
    delete_grant,
    play,
    download,
    delete_recording,
]
