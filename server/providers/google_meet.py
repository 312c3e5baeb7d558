"""Google Meet: a Calendar event with a Meet conference per class, and the Meet REST readers.

:class:`GoogleClient` speaks OAuth 2.0 (refresh-token grant, the user consent
flow), Calendar v3 (``events.insert/get/patch/delete/watch``,
``channels.stop``) and Meet REST v2 (conference records, participants,
participant sessions, recordings, transcripts).  :class:`GoogleMeetProvider`
maps classes onto it.

Credentials per organization come from the :class:`CredentialStore` (key
``(org_id, "google_meet")``, a record with ``refresh_token``); without one the
server-wide ``LIVECLASS_GOOGLE_REFRESH_TOKEN`` applies.

Retry safety: the event ``id`` and the conference ``requestId`` are derived
from the class id, so a retried create either is ignored by Google or gets a
409, after which the existing event is used; one class never gets two events.
Limits, honestly:

* Conference creation is asynchronous; :meth:`GoogleClient.wait_for_conference`
  polls a bounded number of times, then fails rather than store a class
  without a link.
* A class whose event was deleted cannot get a new one: Google keeps deleted
  event ids (status ``cancelled``), so a second insert with the same id is a 409.
* Meet has no per-attendee links; everyone gets the conference link, and
  people outside the host's domain may have to be admitted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
    "DEFAULT_SCOPES",
    "ConferencePolling",
    "GoogleClient",
    "GoogleMeetProvider",
    "WatchChannel",
    "derived_id",
]

PROVIDER = "google_meet"
_STORE_KEY = "google_meet"
_CALENDAR = "primary"
DEFAULT_SCOPES: tuple[str, ...] = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/meetings.space.readonly",
)
_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"


def derived_id(purpose: str, class_id: str) -> str:
    """A stable Calendar-safe id: base32hex (``0-9a-v``) of a hash of purpose and class id.

    52 characters, inside the 5-1024 Google allows for event ids; different
    ``purpose`` values keep the event id and the conference request id apart.
    """
    digest = hashlib.sha256(f"liveclass:{purpose}:{class_id}".encode()).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


@dataclass(frozen=True)
class ConferencePolling:
    """How long to wait for a Meet conference: at most ``attempts`` reads and ``max_wait`` s."""

    attempts: int = 10
    interval: float = 1.0
    max_wait: float = 20.0


@dataclass(frozen=True)
class WatchChannel:
    """A Calendar push channel.  ``token`` is the secret Google echoes in
    ``X-Goog-Channel-Token``; keep it (encrypted) to authenticate notifications."""

    id: str
    resource_id: str
    expiration: datetime
    token: str


class GoogleClient:
    """Google APIs for many organizations, with access tokens cached per organization."""

    def __init__(
        self,
        transport: ProviderTransport,
        *,
        client_id: str | None,
        client_secret: str | None,
        refresh_token: str | None = None,
        store: CredentialStore | None = None,
        token_url: str = "https://oauth2.googleapis.com/token",
        calendar_base: str = "https://www.googleapis.com/calendar/v3",
        meet_base: str = "https://meet.googleapis.com/v2",
        polling: ConferencePolling | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._transport = transport
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._store = store
        self._token_url = token_url
        self._calendar = calendar_base.rstrip("/")
        self._meet = meet_base.rstrip("/")
        self._polling = polling or ConferencePolling()
        self._sleep = sleep
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
    ) -> GoogleClient:
        transport = ProviderTransport(
            PROVIDER, timeout=settings.provider_timeout_seconds, client=client, sleep=sleep
        )
        return cls(
            transport,
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret,
            refresh_token=settings.google_refresh_token,
            store=store,
            token_url=settings.google_token_url,
            calendar_base=settings.google_calendar_api_base,
            meet_base=settings.google_meet_api_base,
            sleep=sleep,
        )

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def access_token(self, org_id: str) -> str:
        """A valid API token of the organization (cached); proves its credentials work."""
        return await self._api.tokens.get(org_id, partial(self._fetch_token, org_id))

    def forget(self, org_id: str) -> None:
        """Drop the cached access token; call after the organization's Google credentials change."""
        self._api.tokens.drop(org_id)

    # -- OAuth ---------------------------------------------------------------

    def authorize_url(
        self, state: str, redirect_uri: str, scopes: Sequence[str] = DEFAULT_SCOPES
    ) -> str:
        """The consent page.  ``access_type=offline`` + ``prompt=consent`` make Google
        return a refresh token even to a user who consented before."""
        client_id, _ = self._app({})
        query = urlencode(
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": " ".join(scopes),
                "access_type": "offline",
                "prompt": "consent",
                "include_granted_scopes": "true",
                "state": state,
            }
        )
        return f"{_AUTH_URL}?{query}"

    async def exchange_code(self, org_id: str, code: str, redirect_uri: str) -> None:
        """Trade the callback's ``code`` for tokens saved under ``org_id``."""
        client_id, client_secret = self._app({})
        answer = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": redirect_uri,
            },
            idempotent=False,
        )
        if not answer.get("refresh_token"):
            raise ProviderError(
                "Google returned no refresh token; revoke the app's access and consent again",
                provider=PROVIDER,
            )
        token = await self._keep(org_id, {}, answer, stored=True)
        self._api.tokens.put(org_id, token)

    def _app(self, record: TokenData) -> tuple[str, str]:
        client_id = record.get("client_id") or self._client_id
        client_secret = record.get("client_secret") or self._client_secret
        if not (client_id and client_secret):
            raise ProviderError(
                "Google OAuth client is not configured (LIVECLASS_GOOGLE_CLIENT_ID/SECRET)",
                provider=PROVIDER,
            )
        return client_id, client_secret

    async def _fetch_token(self, org_id: str, rejected: str | None) -> AccessToken:
        record = await self._store.load(org_id, _STORE_KEY) if self._store else None
        stored = record is not None
        if record is None:
            if not self._refresh_token:
                raise ProviderError(
                    "Google is not connected for this organization and no server-wide "
                    "refresh token is set",
                    provider=PROVIDER,
                )
            record = {"refresh_token": self._refresh_token}
        cached = AccessToken(
            str(record.get("access_token", "")), float(record.get("expires_at", 0))
        )
        if cached.value and cached.value != rejected and self._api.tokens.fresh(cached):
            return cached
        client_id, client_secret = self._app(record)
        answer = await self._token_request(
            {
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": record["refresh_token"],
            },
            # Google does not rotate refresh tokens, so repeating a refresh is harmless.
            idempotent=True,
        )
        return await self._keep(org_id, record, answer, stored=stored)

    async def _keep(
        self, org_id: str, record: TokenData, answer: Mapping[str, Any], *, stored: bool
    ) -> AccessToken:
        # expires_in sometimes arrives as a string.
        token = AccessToken(answer["access_token"], self._clock() + float(answer["expires_in"]))
        if stored:
            if self._store is None:
                raise ProviderError(
                    "no credential store to keep Google tokens in", provider=PROVIDER
                )
            await self._store.save(
                org_id,
                _STORE_KEY,
                {
                    **record,
                    "access_token": token.value,
                    "expires_at": token.expires_at,
                    # Google usually omits it on refresh: keep the one we have.
                    "refresh_token": answer.get("refresh_token") or record["refresh_token"],
                    "scope": answer.get("scope", record.get("scope", "")),
                },
            )
        return token

    async def _token_request(self, form: Mapping[str, str], *, idempotent: bool) -> dict[str, Any]:
        response = await self._transport.request(
            "POST", self._token_url, data=form, accept={400, 401}, idempotent=idempotent
        )
        if response.status_code in (400, 401):
            if provider_code(response) == "invalid_grant":
                raise self._transport.error(
                    response,
                    message=(
                        f"Google refused the grant ({provider_message(response)}); "
                        "the Google account must be connected again"
                    ),
                )
            raise self._transport.error(response)
        answer: dict[str, Any] = response.json()
        return answer

    # -- Calendar ------------------------------------------------------------

    def _event_url(self, event_id: str = "") -> str:
        base = f"{self._calendar}/calendars/{_CALENDAR}/events"
        return f"{base}/{quote(event_id, safe='')}" if event_id else base

    async def _json(
        self,
        org_id: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        response = await self._api.call(
            org_id, method, url, params=params, json=json, idempotent=idempotent
        )
        body: dict[str, Any] = response.json()
        return body

    async def insert_event(self, org_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """``events.insert`` with conference data; ``event`` must carry its own ``id``.

        A 409 (the id exists: an earlier attempt got through) returns the
        existing event instead, unless that event was deleted.
        """
        response = await self._api.call(
            org_id,
            "POST",
            self._event_url(),
            params={"conferenceDataVersion": 1, "sendUpdates": "none"},
            json=event,
            accept={409},
            idempotent=True,
        )
        if response.status_code == 409:
            existing = await self.get_event(org_id, event["id"])
            if existing.get("status") == "cancelled":
                raise ProviderError(
                    "the Calendar event with this id was deleted and Google never reuses ids",
                    provider=PROVIDER,
                    details={"event_id": event["id"]},
                )
            return existing
        body: dict[str, Any] = response.json()
        return body

    async def get_event(self, org_id: str, event_id: str) -> dict[str, Any]:
        return await self._json(org_id, "GET", self._event_url(event_id))

    async def find_event(self, org_id: str, event_id: str) -> dict[str, Any] | None:
        """Like :meth:`get_event`, but ``None`` for an unknown event (404) and a
        ``cancelled`` stub for a deleted one (410)."""
        response = await self._api.call(org_id, "GET", self._event_url(event_id), accept={404, 410})
        if response.status_code == 404:
            return None
        if response.status_code == 410:
            return {"id": event_id, "status": "cancelled"}
        body: dict[str, Any] = response.json()
        return body

    async def patch_event(
        self, org_id: str, event_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        # conferenceDataVersion=1 on every change, or Google may drop the conference.
        return await self._json(
            org_id,
            "PATCH",
            self._event_url(event_id),
            params={"conferenceDataVersion": 1, "sendUpdates": "none"},
            json=changes,
        )

    async def delete_event(self, org_id: str, event_id: str) -> bool:
        """Delete; ``False`` if it was already gone (404 or 410)."""
        response = await self._api.call(
            org_id,
            "DELETE",
            self._event_url(event_id),
            params={"sendUpdates": "none"},
            accept={404, 410},
        )
        return response.status_code not in (404, 410)

    async def wait_for_conference(self, org_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Re-read the event until its conference is no longer ``pending``.

        Raises :class:`ProviderError` on ``failure`` or when the bounds in
        :class:`ConferencePolling` run out.
        """
        current = dict(event)
        started = time.monotonic()
        polls = 0
        while (status := _conference_status(current)) == "pending":
            polls += 1
            elapsed = time.monotonic() - started
            if polls > self._polling.attempts or elapsed + self._polling.interval > (
                self._polling.max_wait
            ):
                raise ProviderError(
                    "Google has not finished creating the Meet conference; try again later",
                    provider=PROVIDER,
                    details={"event_id": current.get("id")},
                )
            await self._sleep(self._polling.interval)
            current = await self.get_event(org_id, current["id"])
        if status == "failure":
            raise ProviderError(
                "Google could not create the Meet conference for this event",
                provider=PROVIDER,
                details={"event_id": current.get("id")},
            )
        return current

    async def watch_events(
        self, org_id: str, address: str, *, ttl_seconds: int | None = None
    ) -> WatchChannel:
        """Open a push channel on the primary calendar's events (``events.watch``)."""
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "type": "web_hook",
            "address": address,
            "token": secrets.token_urlsafe(32),
        }
        if ttl_seconds is not None:
            body["expiration"] = int((self._clock() + ttl_seconds) * 1000)
        channel = await self._json(
            org_id, "POST", self._event_url() + "/watch", json=body, idempotent=True
        )
        return WatchChannel(
            id=channel["id"],
            resource_id=channel["resourceId"],
            expiration=datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC),
            token=body["token"],
        )

    async def stop_channel(self, org_id: str, channel_id: str, resource_id: str) -> None:
        """``channels.stop``; a channel that is already gone (404) counts as stopped."""
        await self._api.call(
            org_id,
            "POST",
            f"{self._calendar}/channels/stop",
            json={"id": channel_id, "resourceId": resource_id},
            accept={404},
            idempotent=True,
        )

    # -- Meet REST v2 readers --------------------------------------------------

    def _list(
        self,
        org_id: str,
        path: str,
        items: str,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        url = f"{self._meet}/{path}"

        async def page(token: str | None) -> dict[str, Any]:
            query: dict[str, str | int] = dict(params or {})
            if token:
                query["pageToken"] = token
            return await self._json(org_id, "GET", url, params=query)

        return paginate(page, items=items, next_token="nextPageToken")

    def conference_records(self, org_id: str, meeting_code: str) -> AsyncIterator[dict[str, Any]]:
        """Conferences held in the space with this meeting code, newest first.

        Google deletes conference records 30 days after the conference ends.
        """
        if '"' in meeting_code or "\\" in meeting_code:
            raise BadRequest("invalid Meet meeting code")
        return self._list(
            org_id,
            "conferenceRecords",
            "conferenceRecords",
            {"filter": f'space.meeting_code="{meeting_code}"'},
        )

    def participants(self, org_id: str, conference_record: str) -> AsyncIterator[dict[str, Any]]:
        """``conference_record`` is a resource name: ``conferenceRecords/{id}``."""
        return self._list(org_id, f"{conference_record}/participants", "participants")

    def participant_sessions(self, org_id: str, participant: str) -> AsyncIterator[dict[str, Any]]:
        """``participant`` is ``conferenceRecords/{id}/participants/{id}``."""
        return self._list(org_id, f"{participant}/participantSessions", "participantSessions")

    def recordings(self, org_id: str, conference_record: str) -> AsyncIterator[dict[str, Any]]:
        return self._list(org_id, f"{conference_record}/recordings", "recordings")

    def transcripts(self, org_id: str, conference_record: str) -> AsyncIterator[dict[str, Any]]:
        return self._list(org_id, f"{conference_record}/transcripts", "transcripts")


class GoogleMeetProvider:
    """Classes as events on the connected account's primary calendar, with a Meet link."""

    name = PROVIDER

    def __init__(self, client: GoogleClient) -> None:
        self._client = client

    async def create_meeting(self, request: MeetingRequest) -> Meeting:
        event = {
            **_schedule(request),
            "id": derived_id("event", request.class_id),
            "extendedProperties": {"private": {"liveclass_class_id": request.class_id}},
            "conferenceData": {
                "createRequest": {
                    "requestId": derived_id("conference", request.class_id),
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            },
        }
        inserted = await self._client.insert_event(request.org_id, event)
        ready = await self._client.wait_for_conference(request.org_id, inserted)
        return _meeting(ready)

    async def update_meeting(self, meeting: Meeting, request: MeetingRequest) -> Meeting:
        patched = await self._client.patch_event(
            request.org_id, meeting.meeting_id, _schedule(request)
        )
        return _meeting(patched)

    async def delete_meeting(self, meeting: Meeting, org_id: str) -> None:
        await self._client.delete_event(org_id, meeting.meeting_id)

    def join_link(self, meeting: Meeting, attendee: Attendee) -> str:
        """Everyone gets the conference link: Meet has no per-attendee links."""
        return meeting.join_url


def _schedule(request: MeetingRequest) -> dict[str, Any]:
    if request.start.tzinfo is None or request.end.tzinfo is None:
        raise BadRequest("class times must carry a timezone")
    body: dict[str, Any] = {
        "summary": request.title,
        "start": {"dateTime": request.start.isoformat(), "timeZone": request.timezone},
        "end": {"dateTime": request.end.isoformat(), "timeZone": request.timezone},
    }
    if request.description:
        body["description"] = request.description
    return body


def _conference_status(event: Mapping[str, Any]) -> str | None:
    status = (
        event.get("conferenceData", {}).get("createRequest", {}).get("status", {}).get("statusCode")
    )
    return str(status) if status is not None else None


def _meeting(event: Mapping[str, Any]) -> Meeting:
    conference: Mapping[str, Any] = event.get("conferenceData", {})
    entry_points: Collection[Mapping[str, Any]] = conference.get("entryPoints", ())
    video = next((p["uri"] for p in entry_points if p.get("entryPointType") == "video"), None)
    link = video or event.get("hangoutLink")
    if not link:
        raise ProviderError(
            "the Calendar event has no Meet link (is Meet allowed on this calendar?)",
            provider=PROVIDER,
            details={"event_id": event.get("id")},
        )
    return Meeting(
        provider=PROVIDER,
        meeting_id=event["id"],
        join_url=link,
        host_url=link,
        data={
            "calendar_id": _CALENDAR,
            "event_id": event["id"],
            "meeting_code": conference.get("conferenceId"),
            "html_link": event.get("htmlLink"),
        },
    )
