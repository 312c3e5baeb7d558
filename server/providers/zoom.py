"""Zoom: scheduled meetings through the Zoom Meetings REST API (v2).

:class:`ZoomClient` speaks the API: OAuth (server-to-server
``account_credentials`` or a user's authorization-code grant with rotating
refresh tokens), meetings, the participants report and cloud recordings.
:class:`ZoomProvider` maps classes onto it for the class service.

Credentials per organization come from the :class:`CredentialStore` (key
``(org_id, "zoom")``): a record with ``refresh_token`` is a user OAuth grant,
one with ``account_id`` is a server-to-server app.  Without a record the
server-wide ``LIVECLASS_ZOOM_ACCOUNT_ID/CLIENT_ID/CLIENT_SECRET`` apply.

Limits, honestly:

* Zoom allows 100 meeting creates/updates per *user* per UTC day; hitting it
  fails at once with Zoom's message (waiting cannot help before midnight).
* ``host_url`` is Zoom's ``start_url``; it embeds a host key (ZAK) that Zoom
  lets expire (about two hours for ordinary users), so the class service asks
  :meth:`ZoomProvider.fresh_host_url` (``GET /meetings/{id}``, which answers a
  new one) every time it hands the link to a host.
* Zoom has no per-attendee link without registration, so every attendee
  gets the meeting's ``join_url``.
* With server-to-server OAuth the host is ``host_email`` when the class names
  one (that email must be a user of the Zoom account), else ``me`` (the user
  who created the app); with a user's OAuth grant it is always that user.
* The token answer's regional ``api_url`` is ignored: the configured
  ``zoom_api_base`` (global ``https://api.zoom.us/v2`` by default) always works.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import string
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from datetime import UTC
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from ..errors import BadRequest, ProviderError
from ..settings import Settings
from .base import Attendee, Meeting, MeetingRequest
from .credentials import CredentialStore, TokenData
from .paging import paginate
from .tokens import AccessToken, BearerSession
from .transport import ProviderTransport, Sleep, provider_code, provider_message

__all__ = [
    "ZoomClient",
    "ZoomProvider",
    "encode_meeting_id",
    "generate_passcode",
    "zoom_daily_limit",
]

PROVIDER = "zoom"
_STORE_KEY = "zoom"
# Zoom's documented passcode alphabet is [a-zA-Z0-9@-_*]; letters and digits
# alone survive every URL and dial-in keypad without escaping.
_PASSCODE_ALPHABET = string.ascii_letters + string.digits
_PASSCODE_LENGTH = 10  # Zoom's maximum
_TOPIC_LIMIT = 200
_AGENDA_LIMIT = 2000
_GONE_CODES = frozenset({3001, 3301})  # meeting / recording does not exist


def encode_meeting_id(value: str) -> str:
    """A meeting id or UUID as a path segment, double-encoded exactly when Zoom requires it.

    Zoom: "when a meeting UUID begins with a '/' or contains '//', encode it
    twice".  Anything else is encoded once, so a lone ``/`` or ``=`` in a
    UUID cannot split the path.
    """
    once = quote(value, safe="")
    if value.startswith("/") or "//" in value:
        return quote(once, safe="")
    return once


def generate_passcode() -> str:
    return "".join(secrets.choice(_PASSCODE_ALPHABET) for _ in range(_PASSCODE_LENGTH))


def zoom_daily_limit(response: httpx.Response) -> str | None:
    """Why a 429 is Zoom's per-user daily limit (not worth retrying), or ``None``."""
    message = provider_message(response)
    if (
        response.headers.get("x-ratelimit-type", "").lower() == "daily-limit"
        or "daily rate limit" in message.lower()
    ):
        return f"Zoom daily rate limit reached: {message}"
    return None


class ZoomClient:
    """The Zoom REST API for many organizations, with tokens cached per organization.

    ``account_id``/``client_id``/``client_secret`` are the server-wide
    server-to-server app; ``client_id``/``client_secret`` also identify the
    OAuth app of the user flow (:meth:`authorize_url`, :meth:`exchange_code`)
    unless a stored record carries its own.
    """

    def __init__(
        self,
        transport: ProviderTransport,
        *,
        api_base: str = "https://api.zoom.us/v2",
        oauth_base: str = "https://zoom.us",
        store: CredentialStore | None = None,
        account_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._transport = transport
        self._api_base = api_base.rstrip("/")
        self._oauth_base = oauth_base.rstrip("/")
        self._store = store
        self._account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._api = BearerSession(transport, self._fetch_token, clock=clock)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        store: CredentialStore | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> ZoomClient:
        transport = ProviderTransport(
            PROVIDER,
            timeout=settings.provider_timeout_seconds,
            client=client,
            final_rate_limit=zoom_daily_limit,
            sleep=sleep,
        )
        return cls(
            transport,
            api_base=settings.zoom_api_base,
            oauth_base=settings.zoom_oauth_base,
            store=store,
            account_id=settings.zoom_account_id,
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret,
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def host_for(self, org_id: str, email: str | None) -> str:
        """The Zoom user to schedule for: a user's grant can only schedule for that user."""
        credentials = await self._credentials(org_id)
        return "me" if "refresh_token" in credentials else (email or "me")

    async def access_token(self, org_id: str) -> str:
        """A valid API token of the organization (cached), e.g. to download a recording."""
        return await self._api.tokens.get(org_id, partial(self._fetch_token, org_id))

    def forget(self, org_id: str) -> None:
        """Drop the cached access token; call after the organization's Zoom credentials change."""
        self._api.tokens.drop(org_id)

    # -- OAuth ---------------------------------------------------------------

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        """Where to send a user to grant this app access to their Zoom account."""
        app_id, _ = self._app()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": app_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self._oauth_base}/oauth/authorize?{query}"

    async def exchange_code(self, org_id: str, code: str, redirect_uri: str) -> None:
        """Trade the callback's ``code`` (valid 5 minutes) for tokens saved under ``org_id``."""
        app = self._app()
        answer = await self._token_request(
            app,
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            idempotent=False,
        )
        token = await self._save_user_tokens(org_id, {}, answer)
        self._api.tokens.put(org_id, token)

    def _app(self) -> tuple[str, str]:
        if not (self._client_id and self._client_secret):
            raise ProviderError(
                "Zoom OAuth app is not configured (LIVECLASS_ZOOM_CLIENT_ID/SECRET)",
                provider=PROVIDER,
            )
        return self._client_id, self._client_secret

    async def _credentials(self, org_id: str) -> TokenData:
        stored = await self._store.load(org_id, _STORE_KEY) if self._store else None
        if stored:
            return stored
        if self._account_id and self._client_id and self._client_secret:
            return {
                "account_id": self._account_id,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }
        raise ProviderError(
            "Zoom is not connected for this organization and no server-wide account is set",
            provider=PROVIDER,
        )

    async def _fetch_token(self, org_id: str, rejected: str | None) -> AccessToken:
        creds = await self._credentials(org_id)
        if "refresh_token" in creds:
            return await self._user_token(org_id, creds, rejected)
        if not {"account_id", "client_id", "client_secret"} <= creds.keys():
            raise ProviderError(
                "stored Zoom credentials are incomplete: connect the account again",
                provider=PROVIDER,
            )
        answer = await self._token_request(
            (creds["client_id"], creds["client_secret"]),
            {"grant_type": "account_credentials", "account_id": creds["account_id"]},
            idempotent=True,
        )
        return AccessToken(answer["access_token"], self._clock() + float(answer["expires_in"]))

    async def _user_token(self, org_id: str, creds: TokenData, rejected: str | None) -> AccessToken:
        stored = AccessToken(str(creds.get("access_token", "")), float(creds.get("expires_at", 0)))
        if stored.value and stored.value != rejected and self._api.tokens.fresh(stored):
            return stored
        app = (creds["client_id"], creds["client_secret"]) if "client_id" in creds else self._app()
        # Not idempotent: the refresh token rotates, so a replay after a lost
        # answer would present a dead token.
        answer = await self._token_request(
            app,
            {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]},
            idempotent=False,
        )
        return await self._save_user_tokens(org_id, creds, answer)

    async def _save_user_tokens(
        self, org_id: str, creds: TokenData, answer: Mapping[str, Any]
    ) -> AccessToken:
        if self._store is None:
            raise ProviderError("no credential store to keep Zoom tokens in", provider=PROVIDER)
        token = AccessToken(answer["access_token"], self._clock() + float(answer["expires_in"]))
        record = {
            **creds,
            "access_token": token.value,
            "refresh_token": answer["refresh_token"],
            "expires_at": token.expires_at,
            "scope": answer.get("scope", ""),
        }
        await self._store.save(org_id, _STORE_KEY, record)
        return token

    async def _token_request(
        self, app: tuple[str, str], form: Mapping[str, str], *, idempotent: bool
    ) -> dict[str, Any]:
        response = await self._transport.request(
            "POST", f"{self._oauth_base}/oauth/token", data=form, auth=app, idempotent=idempotent
        )
        answer: dict[str, Any] = response.json()
        return answer

    # -- REST calls ----------------------------------------------------------

    async def _call(
        self,
        org_id: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        accept: Collection[int] = (),
    ) -> httpx.Response:
        return await self._api.call(
            org_id, method, self._api_base + path, params=params, json=json, accept=accept
        )

    async def _delete(self, org_id: str, path: str, params: Mapping[str, str] | None) -> bool:
        """DELETE; ``False`` when Zoom says the thing is already gone."""
        response = await self._call(org_id, "DELETE", path, params=params, accept={400, 404})
        if response.status_code in (400, 404):
            if response.status_code == 404 or provider_code(response) in _GONE_CODES:
                return False
            raise self._transport.error(response)
        return True

    async def create_meeting(
        self, org_id: str, user_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """POST /users/{userId}/meetings; ``user_id`` is a Zoom user id, an email or ``me``."""
        response = await self._call(
            org_id, "POST", f"/users/{quote(user_id, safe='')}/meetings", json=body
        )
        created: dict[str, Any] = response.json()
        return created

    async def get_meeting(self, org_id: str, meeting_id: str) -> dict[str, Any]:
        response = await self._call(org_id, "GET", f"/meetings/{encode_meeting_id(meeting_id)}")
        meeting: dict[str, Any] = response.json()
        return meeting

    async def update_meeting(self, org_id: str, meeting_id: str, body: Mapping[str, Any]) -> None:
        """PATCH /meetings/{id}; Zoom answers 204 with no body."""
        await self._call(org_id, "PATCH", f"/meetings/{encode_meeting_id(meeting_id)}", json=body)

    async def delete_meeting(self, org_id: str, meeting_id: str) -> bool:
        """Delete; ``False`` if the meeting was already gone (404 / code 3001)."""
        return await self._delete(org_id, f"/meetings/{encode_meeting_id(meeting_id)}", None)

    def participants_report(
        self, org_id: str, meeting: str, *, page_size: int = 300
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of the participants report (one per join/leave segment), all pages.

        ``meeting`` is a meeting id (its last instance) or an instance UUID.
        Zoom's page tokens expire after 15 minutes, so consume promptly.
        """
        path = f"/report/meetings/{encode_meeting_id(meeting)}/participants"

        async def page(token: str | None) -> dict[str, Any]:
            params: dict[str, str | int] = {"page_size": page_size}
            if token:
                params["next_page_token"] = token
            response = await self._call(org_id, "GET", path, params=params)
            body: dict[str, Any] = response.json()
            return body

        return paginate(page, items="participants", next_token="next_page_token")

    async def delete_recording_file(
        self, org_id: str, meeting: str, recording_id: str, *, action: str = "trash"
    ) -> bool:
        path = f"/meetings/{encode_meeting_id(meeting)}/recordings/{quote(recording_id, safe='')}"
        return await self._delete(org_id, path, {"action": action})


class ZoomProvider:
    """Classes as scheduled Zoom meetings (type 2)."""

    name = PROVIDER

    def __init__(
        self, client: ZoomClient, *, passcode: Callable[[], str] = generate_passcode
    ) -> None:
        self._client = client
        self._passcode = passcode

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        host = await self._client.host_for(request.org_id, request.host_email)
        body = {**_schedule(request), "password": self._passcode()}
        created = await self._client.create_meeting(request.org_id, host, body)
        return _meeting(created, {"zoom_user": host})

    async def update_meeting(self, meeting: Meeting, request: MeetingRequest) -> Meeting:
        await self._client.update_meeting(request.org_id, meeting.meeting_id, _schedule(request))
        # PATCH answers 204 without a body; read back what Zoom now holds.
        current = await self._client.get_meeting(request.org_id, meeting.meeting_id)
        return _meeting(current, meeting.data)

    async def delete_meeting(self, meeting: Meeting, org_id: str) -> None:
        await self._client.delete_meeting(org_id, meeting.meeting_id)

    def join_link(self, meeting: Meeting, attendee: Attendee) -> str:
        """Everyone gets ``join_url``: Zoom has per-user links only for registrants."""
        return meeting.join_url

    async def fresh_host_url(self, meeting: Meeting, org_id: str) -> str | None:
        current = await self._client.get_meeting(org_id, meeting.meeting_id)
        start_url: str | None = current.get("start_url")
        return start_url


def _schedule(request: MeetingRequest) -> dict[str, Any]:
    if request.start.tzinfo is None:
        raise BadRequest("class start time must carry a timezone")
    minutes = math.ceil((request.end - request.start).total_seconds() / 60)
    body: dict[str, Any] = {
        "topic": request.title[:_TOPIC_LIMIT],
        "type": 2,
        # A trailing Z makes Zoom read the time as UTC whatever `timezone` says;
        # `timezone` still decides how Zoom shows it to people.
        "start_time": request.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": max(1, minutes),
        "timezone": request.timezone,
        "settings": {
            "auto_recording": request.auto_recording,
            "waiting_room": request.waiting_room,
            "join_before_host": request.join_before_host,
        },
    }
    if request.description:
        body["agenda"] = request.description[:_AGENDA_LIMIT]
    return body


def _meeting(body: Mapping[str, Any], data: Mapping[str, Any]) -> Meeting:
    return Meeting(
        provider=PROVIDER,
        meeting_id=str(body["id"]),
        join_url=body["join_url"],
        host_url=body.get("start_url"),
        passcode=body.get("password"),
        data={
            **data,
            "uuid": body.get("uuid"),
            "host_id": body.get("host_id"),
            "host_email": body.get("host_email"),
        },
    )
