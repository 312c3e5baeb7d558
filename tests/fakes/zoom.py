"""A fake of Zoom's OAuth endpoint, Meetings REST API (v2) and recording downloads.

``create_fake_zoom()`` returns a :class:`FakeZoom`; serve ``fake.app`` and set
``zoom_oauth_base = <url>`` and ``zoom_api_base = <url>/v2``.

Reproduced (see docs/providers.md):

* ``POST /oauth/token`` with HTTP Basic client authentication and a form body:
  ``account_credentials`` (token only, no refresh token), ``authorization_code``
  (codes from :meth:`FakeZoom.issue_code` or ``GET /oauth/authorize``, one use,
  5 minutes, ``redirect_uri`` must match) and ``refresh_token`` (rotating: each
  refresh invalidates the refresh token it used).  Errors are OAuth-style
  ``{"reason","error"}``.
* Bearer checks on every ``/v2`` call: unknown or expired tokens get 401
  ``{"code":124,"message":...}``.
* Meetings: create (201, full meeting JSON), get, PATCH (204), DELETE (204);
  404 ``{"code":3001}`` for unknown meetings, 404 ``{"code":1001}`` for unknown
  users, 300 "Validation Failed." with ``errors[]`` for bad fields, 400 3002
  when deleting a meeting in progress.
* The per-user limit of ``daily_limit`` creates+updates per UTC day: 429 with
  Zoom's daily message, ``X-RateLimit-Type: Daily-limit`` and an ISO
  ``Retry-After`` of the next UTC midnight.
* Participants (``/report/meetings/{id}/participants`` and
  ``/past_meetings/{id}/participants``), paged by ``next_page_token`` (``""``
  on the last page, tokens expire after 15 minutes).
* Cloud recordings: GET, and DELETE ``?action=trash|delete`` (204) of one
  file; CC/TIMELINE files lack ``id``/``status``/``file_size``/``recording_type``.
* Ids in paths may be meeting numbers or instance UUIDs, double-encoded or not.
* Downloads: ``download_url`` answers 302 to a one-time CDN URL when given
  ``Authorization: Bearer <download_token|access_token>`` or
  ``?access_token=``; 401 otherwise.

Not reproduced: account-level QPS limits (inject them with
:meth:`FakeZoom.rate_limit_next`), recurring meetings and occurrences,
registrants, scopes.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .common import (
    Clock,
    FaultMiddleware,
    Faults,
    RawPathMiddleware,
    bearer,
    form_and_query,
    path_param,
    utc_z,
)

__all__ = ["FakeZoom", "create_fake_zoom"]

_CODE_TTL = 300.0
_PAGE_TOKEN_TTL = 900.0
_DOWNLOAD_TOKEN_TTL = 86_400.0
_PASSCODE_CHARS = set(string.ascii_letters + string.digits + "@-_*")
_QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
_DAILY_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
_MEETING_SETTINGS_DEFAULTS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "waiting_room": False,
    "approval_type": 2,
    "audio": "both",
    "auto_recording": "none",
    "meeting_authentication": False,
}


@dataclass
class _Token:
    expires_at: float
    user_id: str


@dataclass
class _Instance:
    meeting_id: int
    uuid: str
    participants: list[dict[str, Any]] = field(default_factory=list)
    recording: dict[str, Any] | None = None
    recording_state: str = "none"  # none | completed


@dataclass
class FakeZoom:
    """State and knobs of one fake Zoom.

    Knobs: ``client_id``/``client_secret``/``account_id`` (the credentials it
    accepts), ``token_ttl`` (``expires_in`` of new tokens), ``daily_limit``,
    ``faults`` (:class:`~.common.Faults` on ``/v2``: queued failures and
    delay), :meth:`expire_tokens`, :meth:`rate_limit_next`,
    :meth:`server_error_next`, :meth:`issue_code`, :meth:`issue_download_token`,
    :meth:`add_user`, :meth:`add_instance`, :meth:`add_recording`,
    :meth:`start_meeting`.  Observations: ``grants`` (grant types requested, in
    order), ``meetings`` (by numeric id), ``usage`` (creates+updates per user
    and day).
    """

    clock: Clock = time.time
    client_id: str = "fake-zoom-client-id"
    client_secret: str = "fake-zoom-client-secret"
    account_id: str = "VjZoEArIT5y-HlWxkV-tVA"
    token_ttl: int = 3600
    daily_limit: int = 100
    faults: Faults = field(default_factory=Faults)
    grants: list[str] = field(default_factory=list)
    meetings: dict[int, dict[str, Any]] = field(default_factory=dict)
    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user id
    _codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> redirect, exp
    _instances: dict[str, _Instance] = field(default_factory=dict)
    _page_tokens: dict[str, tuple[str, int, float]] = field(default_factory=dict)
    _download_tokens: dict[str, float] = field(default_factory=dict)
    _cdn: dict[str, str] = field(default_factory=dict)  # one-time signature -> file id
    _next_id: int = 85_393_847_045

    def __post_init__(self) -> None:
        self.owner = self.add_user("owner@example.com", user_id="8lzIwvZTSOqjndWPbPqzuA")
        api = self._bearer_only
        routes = [
            Route("/oauth/token", self._token, methods=["POST"]),
            Route("/oauth/authorize", self._authorize, methods=["GET"]),
            Route("/v2/users/{user}/meetings", api(self._create), methods=["POST"]),
            Route("/v2/meetings/{meeting}", api(self._get), methods=["GET"]),
            Route("/v2/meetings/{meeting}", api(self._patch), methods=["PATCH"]),
            Route("/v2/meetings/{meeting}", api(self._delete), methods=["DELETE"]),
            Route("/v2/report/meetings/{meeting}/participants", api(self._participants)),
            Route("/v2/past_meetings/{meeting}/participants", api(self._participants)),
            Route("/v2/meetings/{meeting}/recordings", api(self._recordings), methods=["GET"]),
            Route(
                "/v2/meetings/{meeting}/recordings/{file}",
                api(self._delete_recording_file),
                methods=["DELETE"],
            ),
            Route("/rec/download/{file}", self._download),
            Route("/rec/cdn/{sig}", self._cdn_file),
        ]
        inner = Starlette(routes=routes)
        self.app = RawPathMiddleware(FaultMiddleware(inner, self.faults, ("/v2/",)))

    # -- knobs -------------------------------------------------------------------

    def add_user(self, email: str, *, user_id: str | None = None) -> dict[str, str]:
        user = {"id": user_id or secrets.token_urlsafe(16)[:22], "email": email}
        self.users[email] = user
        return user

    def issue_code(self, redirect_uri: str, *, user_email: str = "owner@example.com") -> str:
        """An authorization code, as if ``user_email`` had just approved the app."""
        code = secrets.token_urlsafe(24)
        self._codes[code] = (f"{redirect_uri}\n{self.users[user_email]['id']}", self.clock())
        return code

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired (refresh tokens stay valid)."""
        for token in self._tokens.values():
            token.expires_at = self.clock() - 1

    def rate_limit_next(self, *, retry_after: str | None = None, times: int = 1) -> None:
        """Queue per-second-limit 429s, with ``Retry-After`` (ISO time) only if given."""
        headers = {"X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        self.faults.fail_next(
            429, {"code": 429, "message": _QPS_MESSAGE}, headers=headers, times=times
        )

    def server_error_next(self, *, status: int = 500, times: int = 1) -> None:
        self.faults.fail_next(
            status, {"code": status, "message": "Internal Error. Please try again."}, times=times
        )

    def issue_download_token(self) -> str:
        """A webhook ``download_token`` (valid 24 hours)."""
        token = secrets.token_urlsafe(32)
        self._download_tokens[token] = self.clock() + _DOWNLOAD_TOKEN_TTL
        return token

    def start_meeting(self, meeting_id: int) -> None:
        """Mark a meeting in progress (Zoom then refuses to delete it)."""
        self.meetings[meeting_id]["status"] = "started"

    def add_instance(
        self,
        meeting_id: int,
        *,
        uuid: str | None = None,
        participants: int = 0,
        rows: list[dict[str, Any]] | None = None,
    ) -> str:
        """A held instance of a meeting with ``participants`` made-up report rows (or
        the given ``rows``, in the report's shape); returns its UUID."""
        instance = _Instance(meeting_id, uuid or _new_uuid())
        instance.participants.extend(rows or [])
        start = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
        for n in range(participants):
            joined = start + timedelta(seconds=n)
            instance.participants.append(
                {
                    "id": "" if n % 3 else secrets.token_urlsafe(16)[:22],
                    "user_id": str(16_778_240 + n),
                    "name": f"Student {n}",
                    "user_email": f"student{n}@example.com",
                    "join_time": utc_z(joined),
                    "leave_time": utc_z(joined + timedelta(minutes=50)),
                    "duration": 3000,
                    "registrant_id": "",
                    "failover": False,
                    "status": "in_meeting",
                    "customer_key": "",
                    "participant_user_id": secrets.token_urlsafe(16)[:22],
                }
            )
        self._instances[instance.uuid] = instance
        return instance.uuid

    def add_recording(self, meeting_id: int, *, uuid: str | None = None) -> dict[str, Any]:
        """A completed cloud recording for an instance (new unless ``uuid`` names one)."""
        if uuid is None or uuid not in self._instances:
            uuid = self.add_instance(meeting_id, uuid=uuid)
        instance = self._instances[uuid]
        meeting = self.meetings[meeting_id]
        start = datetime(2026, 1, 5, 15, 0, 5, tzinfo=UTC)
        end = start + timedelta(minutes=55)
        files: list[dict[str, Any]] = []
        for file_type, ext, recording_type, size in (
            ("MP4", "MP4", "shared_screen_with_speaker_view", 104_857_600),
            ("M4A", "M4A", "audio_only", 20_971_520),
            ("TRANSCRIPT", "VTT", "audio_transcript", 48_213),
            ("CHAT", "TXT", "chat_file", 1_024),
        ):
            files.append(
                {
                    "id": secrets.token_hex(18),
                    "meeting_id": uuid,
                    "recording_start": utc_z(start),
                    "recording_end": utc_z(end),
                    "file_type": file_type,
                    "file_extension": ext,
                    "file_size": size,
                    "status": "completed",
                    "recording_type": recording_type,
                }
            )
        # CC and TIMELINE files have no id, status, file_size or recording_type.
        for file_type, ext in (("CC", "VTT"), ("TIMELINE", "JSON")):
            files.append(
                {
                    "meeting_id": uuid,
                    "recording_start": utc_z(start),
                    "recording_end": utc_z(end),
                    "file_type": file_type,
                    "file_extension": ext,
                    "_download": secrets.token_hex(18),
                }
            )
        instance.recording = {
            "uuid": uuid,
            "id": meeting_id,
            "account_id": self.account_id,
            "host_id": meeting["host_id"],
            "topic": meeting["topic"],
            "type": meeting["type"],
            "start_time": utc_z(start),
            "duration": 55,
            "total_size": sum(int(f.get("file_size", 0)) for f in files),
            "recording_count": len(files),
            "share_url": f"https://us05web.zoom.us/rec/share/{secrets.token_urlsafe(24)}",
            "password": "",
            "recording_play_passcode": secrets.token_urlsafe(24),
            "recording_files": files,
        }
        instance.recording_state = "completed"
        return instance.recording

    # -- OAuth -------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        """Consent is implicit: redirect straight back with a code for the account owner."""
        query = request.query_params
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return JSONResponse({"reason": "Invalid client_id", "error": "invalid_client"}, 400)
        code = self.issue_code(query["redirect_uri"])
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return RedirectResponse(target, 302)

    async def _token(self, request: Request) -> Response:
        if _basic(request) != (self.client_id, self.client_secret):
            return _oauth_error("invalid_client", "Invalid client_id or client_secret")
        form = await form_and_query(request)
        grant = str(form.get("grant_type", ""))
        self.grants.append(grant)
        if grant == "account_credentials":
            if form.get("account_id") != self.account_id:
                return _oauth_error("invalid_request", "Invalid account_id")
            return JSONResponse(self._issue(self.owner["id"], refresh=False, request=request))
        if grant == "authorization_code":
            redirect_and_user, issued = self._codes.pop(str(form.get("code")), ("", 0.0))
            redirect_uri, _, user_id = redirect_and_user.partition("\n")
            if not redirect_uri or self.clock() - issued > _CODE_TTL:
                return _oauth_error("invalid_request", "Invalid authorization code")
            if form.get("redirect_uri") != redirect_uri:
                return _oauth_error("invalid_request", "Redirect URI mismatch.")
            return JSONResponse(self._issue(user_id, refresh=True, request=request))
        if grant == "refresh_token":
            user_id = self._refresh_tokens.pop(str(form.get("refresh_token")), "")
            if not user_id:
                return _oauth_error("invalid_request", "Invalid Token!")
            return JSONResponse(self._issue(user_id, refresh=True, request=request))
        return _oauth_error("unsupported_grant_type", "unsupported grant type")

    def _issue(self, user_id: str, *, refresh: bool, request: Request) -> dict[str, Any]:
        token = secrets.token_urlsafe(48)
        self._tokens[token] = _Token(self.clock() + self.token_ttl, user_id)
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_ttl,
            "scope": "meeting:write:meeting:admin meeting:read:meeting:admin",
            "api_url": str(request.base_url).rstrip("/"),
        }
        if refresh:
            answer["refresh_token"] = secrets.token_urlsafe(48)
            self._refresh_tokens[answer["refresh_token"]] = user_id
        return answer

    def _bearer_only(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Every ``/v2`` call needs a live bearer token; the caller lands in ``request.state``."""

        async def checked(request: Request) -> Response:
            caller = self._caller(request)
            if isinstance(caller, Response):
                return caller
            request.state.caller = caller
            return await handler(request)

        return checked

    def _caller(self, request: Request) -> _Token | Response:
        value = bearer(request)
        token = self._tokens.get(value or "")
        if token is None:
            return _zoom_error(401, 124, "Invalid access token.")
        if token.expires_at <= self.clock():
            return _zoom_error(401, 124, "Access token is expired.")
        return token

    # -- meetings ----------------------------------------------------------------

    def _user(self, caller: _Token, ref: str) -> dict[str, str] | None:
        if ref == "me":
            return next(u for u in self.users.values() if u["id"] == caller.user_id)
        return self.users.get(ref) or next((u for u in self.users.values() if u["id"] == ref), None)

    def _count_write(self, user_id: str) -> Response | None:
        now = datetime.fromtimestamp(self.clock(), UTC)
        key = (user_id, now.date().isoformat())
        if self.usage.get(key, 0) >= self.daily_limit:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            return _zoom_error(
                429,
                429,
                _DAILY_MESSAGE.format(limit=self.daily_limit),
                headers={
                    "X-RateLimit-Category": "Medium",
                    "X-RateLimit-Type": "Daily-limit",
                    "X-RateLimit-Limit": str(self.daily_limit),
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": utc_z(midnight),
                },
            )
        self.usage[key] = self.usage.get(key, 0) + 1
        return None

    async def _create(self, request: Request) -> Response:
        ref = path_param(request, "user")
        user = self._user(request.state.caller, ref)
        if user is None:
            return _zoom_error(404, 1001, f"User does not exist: {ref}.")
        body = await request.json()
        invalid = _validate(body)
        if invalid is not None:
            return invalid
        limited = self._count_write(user["id"])
        if limited is not None:
            return limited
        meeting_id = self._next_id
        self._next_id += 1
        password = body.get("password") or "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(6)
        )
        meeting: dict[str, Any] = {
            "uuid": _new_uuid(),
            "id": meeting_id,
            "host_id": user["id"],
            "host_email": user["email"],
            "topic": body.get("topic", "Zoom Meeting"),
            "type": body.get("type", 2),
            "status": "waiting",
            "start_time": _normalise_start(body.get("start_time")),
            "duration": body.get("duration", 60),
            "timezone": body.get("timezone", "UTC"),
            "agenda": body.get("agenda", ""),
            "created_at": utc_z(datetime.fromtimestamp(self.clock(), UTC)),
            "start_url": _start_url(meeting_id),
            "join_url": f"https://us05web.zoom.us/j/{meeting_id}?pwd={secrets.token_urlsafe(24)}",
            "password": password,
            "h323_password": "".join(secrets.choice(string.digits) for _ in range(6)),
            "pstn_password": "".join(secrets.choice(string.digits) for _ in range(6)),
            "encrypted_password": secrets.token_urlsafe(24),
            "settings": {**_MEETING_SETTINGS_DEFAULTS, **body.get("settings", {})},
            "pre_schedule": False,
        }
        self.meetings[meeting_id] = meeting
        self._instances[meeting["uuid"]] = _Instance(meeting_id, meeting["uuid"])
        return JSONResponse(
            meeting, 201, headers={"Content-Location": f"/v2/meetings/{meeting_id}"}
        )

    def _meeting(self, request: Request) -> dict[str, Any] | Response:
        ref = path_param(request, "meeting")
        meeting = self.meetings.get(int(ref)) if ref.isdigit() else None
        if meeting is None:
            return _zoom_error(404, 3001, f"Meeting does not exist: {ref}.")
        return meeting

    async def _get(self, request: Request) -> Response:
        meeting = self._meeting(request)
        if isinstance(meeting, Response):
            return meeting
        # Zoom answers a start_url with a newly minted host key (ZAK) on every read.
        meeting["start_url"] = _start_url(meeting["id"])
        return JSONResponse(meeting)

    async def _patch(self, request: Request) -> Response:
        meeting = self._meeting(request)
        if isinstance(meeting, Response):
            return meeting
        body = await request.json()
        invalid = _validate(body)
        if invalid is not None:
            return invalid
        limited = self._count_write(meeting["host_id"])
        if limited is not None:
            return limited
        for key in ("topic", "type", "duration", "timezone", "agenda", "password"):
            if key in body:
                meeting[key] = body[key]
        if "start_time" in body:
            meeting["start_time"] = _normalise_start(body["start_time"])
        meeting["settings"] = {**meeting["settings"], **body.get("settings", {})}
        return Response(status_code=204)

    async def _delete(self, request: Request) -> Response:
        meeting = self._meeting(request)
        if isinstance(meeting, Response):
            return meeting
        if meeting["status"] == "started":
            return _zoom_error(
                400, 3002, "Sorry, you cannot delete this meeting since it is in progress."
            )
        del self.meetings[meeting["id"]]
        return Response(status_code=204)

    # -- past instances: participants and recordings -----------------------------

    def _instance(self, request: Request) -> _Instance | Response:
        """An instance by UUID, or the latest instance of a meeting number."""
        ref = path_param(request, "meeting")
        if ref.isdigit():
            held = [i for i in self._instances.values() if i.meeting_id == int(ref)]
            if held:
                return held[-1]
        elif ref in self._instances:
            return self._instances[ref]
        return _zoom_error(404, 3001, f"Meeting does not exist: {ref}.")

    async def _participants(self, request: Request) -> Response:
        instance = self._instance(request)
        if isinstance(instance, Response):
            return instance
        query = request.query_params
        size = min(max(int(query.get("page_size", 30)), 1), 300)
        offset = 0
        if query.get("next_page_token"):
            entry = self._page_tokens.get(query["next_page_token"])
            if entry is None or entry[0] != instance.uuid or entry[2] < self.clock():
                return _zoom_error(400, 300, "The next page token is invalid or expired.")
            offset = entry[1]
        rows = instance.participants
        page = rows[offset : offset + size]
        token = ""
        if offset + size < len(rows):
            token = secrets.token_urlsafe(24)
            self._page_tokens[token] = (
                instance.uuid,
                offset + size,
                self.clock() + _PAGE_TOKEN_TTL,
            )
        return JSONResponse(
            {
                "page_count": -(-len(rows) // size),
                "page_size": size,
                "total_records": len(rows),
                "next_page_token": token,
                "participants": page,
            }
        )

    def _recording(self, request: Request) -> _Instance | Response:
        ref = path_param(request, "meeting")
        if ref.isdigit():
            held = [
                i
                for i in self._instances.values()
                if i.meeting_id == int(ref) and i.recording_state == "completed"
            ]
            found = held[-1] if held else None
        else:
            found = self._instances.get(ref)
        if found is None or found.recording_state != "completed":
            return _zoom_error(404, 3301, "This recording does not exist.")
        return found

    async def _recordings(self, request: Request) -> Response:
        instance = self._recording(request)
        if isinstance(instance, Response):
            return instance
        assert instance.recording is not None
        base = str(request.base_url).rstrip("/")
        files = []
        for item in instance.recording["recording_files"]:
            public = {k: v for k, v in item.items() if k != "_download"}
            handle = item.get("id") or item["_download"]
            public["download_url"] = f"{base}/rec/download/{handle}"
            if "id" in item:
                public["play_url"] = f"{base}/rec/play/{handle}"
            files.append(public)
        return JSONResponse({**instance.recording, "recording_files": files})

    async def _delete_recording_file(self, request: Request) -> Response:
        instance = self._recording(request)
        if isinstance(instance, Response):
            return instance
        assert instance.recording is not None
        file_id = path_param(request, "file")
        files = instance.recording["recording_files"]
        kept = [f for f in files if f.get("id") != file_id]
        if len(kept) == len(files):
            return _zoom_error(404, 3301, "This recording does not exist.")
        instance.recording["recording_files"] = kept
        instance.recording["recording_count"] = len(kept)
        return Response(status_code=204)

    # -- downloads ---------------------------------------------------------------

    async def _download(self, request: Request) -> Response:
        token = bearer(request) or request.query_params.get("access_token", "")
        valid = self._download_tokens.get(token, 0.0) > self.clock() or (
            token in self._tokens and self._tokens[token].expires_at > self.clock()
        )
        if not valid:
            return _zoom_error(401, 124, "Invalid access token.")
        handle = path_param(request, "file")
        signature = secrets.token_urlsafe(24)
        self._cdn[signature] = handle
        return RedirectResponse(f"{request.base_url}rec/cdn/{signature}", 302)

    async def _cdn_file(self, request: Request) -> Response:
        handle = self._cdn.pop(path_param(request, "sig"), None)
        if handle is None:
            return Response("Forbidden", 403)
        return Response(f"fake recording {handle}".encode(), media_type="application/octet-stream")


def create_fake_zoom(*, clock: Clock = time.time) -> FakeZoom:
    return FakeZoom(clock=clock)


def _validate(body: dict[str, Any]) -> Response | None:
    errors = []
    password = body.get("password")
    if password is not None and (len(password) > 10 or not set(password) <= _PASSCODE_CHARS):
        errors.append("password")
    if "type" in body and body["type"] not in (1, 2, 3, 8):
        errors.append("type")
    if "start_time" in body and _normalise_start(body["start_time"]) is None:
        errors.append("start_time")
    recording = body.get("settings", {}).get("auto_recording", "none")
    if recording not in ("local", "cloud", "none"):
        errors.append("settings.auto_recording")
    if not errors:
        return None
    return JSONResponse(
        {
            "code": 300,
            "message": "Validation Failed.",
            "errors": [{"field": name, "message": "Invalid field."} for name in errors],
        },
        400,
    )


def _normalise_start(value: Any) -> str | None:
    """Zoom echoes start times in UTC with a ``Z``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # Without Z Zoom reads local time in `timezone`; the fake simplifies to UTC.
        parsed = parsed.replace(tzinfo=UTC)
    return utc_z(parsed)


def _new_uuid() -> str:
    return base64.b64encode(secrets.token_bytes(16)).decode()


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _oauth_error(error: str, reason: str) -> Response:
    status = 401 if error == "invalid_client" else 400
    return JSONResponse({"reason": reason, "error": error}, status)


def _zoom_error(
    status: int, code: int, message: str, *, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse({"code": code, "message": message}, status, headers=headers)


def _start_url(meeting_id: int) -> str:
    """The host's link: the meeting number and a fresh host key, as Zoom shapes it."""
    return f"https://us05web.zoom.us/s/{meeting_id}?zak={secrets.token_urlsafe(32)}"
