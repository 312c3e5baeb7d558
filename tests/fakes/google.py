"""A fake of Google's OAuth token endpoint, Calendar v3 events/channels and Meet REST v2 readers.

``create_fake_google()`` returns a :class:`FakeGoogle`; serve ``fake.app`` and
set ``google_token_url = <url>/token``, ``google_calendar_api_base =
<url>/calendar/v3`` and ``google_meet_api_base = <url>/v2``.

Reproduced (see docs/providers.md):

* ``POST /token`` (form body, client credentials in the form):
  ``authorization_code`` (codes from :meth:`FakeGoogle.issue_code`, one use,
  ``redirect_uri`` must match, answer includes a refresh token) and
  ``refresh_token`` (no new refresh token in the answer, like Google);
  revoked or unknown refresh tokens get 400 ``{"error":"invalid_grant",...}``,
  bad clients 401 ``invalid_client``.
* Calendar ``events.insert`` on any calendar id: client-chosen ids must be
  base32hex (``a-v0-9``, 5-1024 chars) and unique per calendar, deleted ones
  included (409 ``duplicate``); ``conferenceDataVersion`` absent or 0 drops
  ``conferenceData``; ``sendUpdates`` is validated; a ``createRequest`` starts
  ``pending`` and turns ``success`` (entry points, ``hangoutLink``,
  ``conferenceId``) or ``failure`` after ``conference_ready_after`` reads.
* ``events.get/patch/delete`` (delete answers 204; 410 ``deleted`` for a
  deleted event, 404 ``notFound`` for an unknown one), ``events.watch``
  returning a ``Channel`` (``expiration`` as a string of epoch ms), and
  ``channels/stop`` (204, 404 for unknown channels).
* Calendar errors as ``{"error":{"errors":[{domain,reason,message}],"code","message"}}``
  and Meet errors as ``{"error":{"code","message","status"}}``; 401 for
  unknown or expired bearer tokens.
* Meet ``conferenceRecords`` (``filter=space.meeting_code="..."`` only, newest
  first), ``participants``, ``participantSessions``, ``recordings`` and
  ``transcripts``, paged by ``pageToken``/``nextPageToken`` (absent on the
  last page) with Google's default and maximum page sizes.

* Push notifications, sent by hand: :meth:`FakeGoogle.push` POSTs a
  header-only ``sync``/``exists``/``not_exists`` notification for a channel
  (``X-Goog-Channel-ID``/``-Token``/``-Expiration``, ``X-Goog-Message-Number``
  increasing per channel from 1, ``X-Goog-Resource-ID``/``-URI``/``-State``)
  to the channel's address or to a URL the caller names (the address given to
  ``events.watch`` must be HTTPS, as at Google, while a test server is plain
  HTTP).  :meth:`FakeGoogle.cancel_event` and :meth:`FakeGoogle.move_event`
  change an event as a user would in the Calendar UI.

Not reproduced: notifications sent by themselves when an event changes,
``events.list``/sync tokens, Workspace Events, attendees and invitations,
Drive/Docs downloads.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .common import Clock, FaultMiddleware, Faults, bearer, form_and_query

__all__ = ["FakeGoogle", "create_fake_google"]

_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_MEETING_CODE_FILTER = re.compile(r'^\s*space\.meeting_code\s*=\s*"([a-z]+-[a-z]+-[a-z]+)"\s*$')
_CHANNEL_TTL = 7 * 24 * 3600  # seconds; Google's default lifetime is not documented [U]
# (default, maximum) page sizes from the Meet v2 discovery document.
_PAGE_SIZES = {
    "conferenceRecords": (25, 100),
    "participants": (100, 250),
    "participantSessions": (100, 250),
    "recordings": (10, 100),
    "transcripts": (10, 100),
}


@dataclass
class _Conference:
    record: dict[str, Any]
    participants: list[dict[str, Any]]
    sessions: dict[str, list[dict[str, Any]]]
    recordings: list[dict[str, Any]]
    transcripts: list[dict[str, Any]]


@dataclass
class FakeGoogle:
    """State and knobs of one fake Google.

    Knobs: ``client_id``/``client_secret`` (the OAuth client it accepts),
    ``token_ttl``, ``expires_in_as_string`` (send ``expires_in`` as a string,
    as Google sometimes does), ``conference_ready_after`` (``events.get`` reads
    a new conference stays ``pending`` for), ``conference_outcome``
    (``"success"`` or ``"failure"``), ``channel_ttl`` (seconds a new push
    channel lives, at most), ``faults`` (queued failures and delay on
    the Calendar and Meet routes), :meth:`add_refresh_token`, :meth:`revoke`,
    :meth:`issue_code`, :meth:`expire_tokens`, :meth:`add_conference`,
    :meth:`cancel_event`, :meth:`move_event`, :meth:`push`.
    Observations: ``events`` (per calendar, by id), ``channels`` (open ones,
    with the ``address`` and ``token`` they were watched with), ``stopped``
    (ids of stopped channels), ``grants``, ``inserts`` (insert requests received).
    """

    clock: Clock = time.time
    client_id: str = "fake-google-client.apps.googleusercontent.com"
    client_secret: str = "fake-google-client-secret"
    token_ttl: int = 3599
    expires_in_as_string: bool = False
    conference_ready_after: int = 1
    conference_outcome: str = "success"
    channel_ttl: int = _CHANNEL_TTL
    faults: Faults = field(default_factory=Faults)
    grants: list[str] = field(default_factory=list)
    inserts: int = 0
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    _tokens: dict[str, float] = field(default_factory=dict)
    _refresh_tokens: set[str] = field(default_factory=set)
    _codes: dict[str, str] = field(default_factory=dict)
    _pending: dict[str, int] = field(default_factory=dict)  # event id -> reads left
    _conferences: list[_Conference] = field(default_factory=list)
    _message_numbers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        events = "/calendar/v3/calendars/{calendar}/events"
        routes = [
            Route("/token", self._token, methods=["POST"]),
            Route(events, self._insert, methods=["POST"]),
            Route(events + "/watch", self._watch, methods=["POST"]),
            Route(events + "/{event}", self._get, methods=["GET"]),
            Route(events + "/{event}", self._patch, methods=["PATCH"]),
            Route(events + "/{event}", self._delete, methods=["DELETE"]),
            Route("/calendar/v3/channels/stop", self._stop, methods=["POST"]),
            Route("/v2/conferenceRecords", self._records),
            Route(
                "/v2/conferenceRecords/{record}/participants", self._conference_list("participants")
            ),
            Route(
                "/v2/conferenceRecords/{record}/participants/{participant}/participantSessions",
                self._sessions,
            ),
            Route("/v2/conferenceRecords/{record}/recordings", self._conference_list("recordings")),
            Route(
                "/v2/conferenceRecords/{record}/transcripts", self._conference_list("transcripts")
            ),
        ]
        inner = Starlette(routes=routes)
        self.app = FaultMiddleware(inner, self.faults, ("/calendar/", "/v2/"))

    # -- knobs -------------------------------------------------------------------

    def add_refresh_token(self) -> str:
        token = "1//" + secrets.token_urlsafe(40)
        self._refresh_tokens.add(token)
        return token

    def revoke(self, refresh_token: str) -> None:
        """The user revoked access: the refresh token now gets ``invalid_grant``."""
        self._refresh_tokens.discard(refresh_token)

    def issue_code(self, redirect_uri: str) -> str:
        code = "4/" + secrets.token_urlsafe(30)
        self._codes[code] = redirect_uri
        return code

    def expire_tokens(self) -> None:
        for token in self._tokens:
            self._tokens[token] = self.clock() - 1

    def add_conference(
        self,
        meeting_code: str,
        *,
        participants: int = 0,
        sessions_per_participant: int = 1,
        recordings: int = 0,
        transcripts: int = 0,
        start: datetime | None = None,
    ) -> str:
        """A finished conference in the space with ``meeting_code``; returns its record name."""
        began = start or datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
        ended = began + timedelta(minutes=55)
        name = f"conferenceRecords/{secrets.token_hex(8)}"
        record = {
            "name": name,
            "startTime": _rfc3339(began),
            "endTime": _rfc3339(ended),
            "expireTime": _rfc3339(ended + timedelta(days=30)),
            "space": f"spaces/{meeting_code.replace('-', '')}",
            "_meeting_code": meeting_code,
        }
        people: list[dict[str, Any]] = []
        sessions: dict[str, list[dict[str, Any]]] = {}
        for n in range(participants):
            pname = f"{name}/participants/{100 + n}"
            person: dict[str, Any] = {
                "name": pname,
                "earliestStartTime": _rfc3339(began + timedelta(seconds=n)),
                "latestEndTime": _rfc3339(ended),
            }
            if n % 4 == 3:
                person["anonymousUser"] = {"displayName": f"Guest {n}"}
            else:
                person["signedinUser"] = {"user": f"users/{1000 + n}", "displayName": f"User {n}"}
            people.append(person)
            sessions[pname] = [
                {
                    "name": f"{pname}/participantSessions/{s}",
                    "startTime": _rfc3339(began + timedelta(minutes=10 * s)),
                    "endTime": _rfc3339(began + timedelta(minutes=10 * s + 9)),
                }
                for s in range(sessions_per_participant)
            ]
        self._conferences.append(
            _Conference(
                record,
                people,
                sessions,
                [
                    {
                        "name": f"{name}/recordings/{n}",
                        "state": "FILE_GENERATED",
                        "startTime": _rfc3339(began),
                        "endTime": _rfc3339(ended),
                        "driveDestination": {
                            "file": secrets.token_urlsafe(24),
                            "exportUri": f"https://drive.google.com/file/d/{n}/view",
                        },
                    }
                    for n in range(recordings)
                ],
                [
                    {
                        "name": f"{name}/transcripts/{n}",
                        "state": "FILE_GENERATED",
                        "startTime": _rfc3339(began),
                        "endTime": _rfc3339(ended),
                        "docsDestination": {
                            "document": secrets.token_urlsafe(24),
                            "exportUri": f"https://docs.google.com/document/d/{n}/view",
                        },
                    }
                    for n in range(transcripts)
                ],
            )
        )
        return name

    def cancel_event(self, event_id: str, calendar: str = "primary") -> None:
        """The user deleted the event in Calendar: it stays, with status ``cancelled``."""
        self.events[calendar][event_id]["status"] = "cancelled"

    def move_event(
        self, event_id: str, start: datetime, end: datetime, calendar: str = "primary"
    ) -> None:
        """The user dragged the event to another time in Calendar."""
        event = self.events[calendar][event_id]
        event["start"] = {**event["start"], "dateTime": _rfc3339(start)}
        event["end"] = {**event["end"], "dateTime": _rfc3339(end)}
        event["sequence"] += 1

    async def push(
        self,
        channel_id: str,
        state: str = "exists",
        *,
        client: httpx.AsyncClient,
        url: str | None = None,
        token: str | None = None,
        message_number: int | None = None,
    ) -> httpx.Response:
        """POST a header-only notification of an open channel, as Google does.

        ``url`` replaces the channel's address; ``token`` replaces its token
        (to forge one); ``message_number`` repeats an earlier one (a redelivery)
        instead of taking the channel's next number.
        """
        channel = self.channels[channel_id]
        if message_number is None:
            message_number = self._message_numbers.get(channel_id, 0) + 1
            self._message_numbers[channel_id] = message_number
        expiration = datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC)
        headers = {
            "X-Goog-Channel-ID": channel_id,
            "X-Goog-Channel-Expiration": expiration.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "X-Goog-Message-Number": str(message_number),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": channel["resourceUri"],
            "X-Goog-Resource-State": state,
            "User-Agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
        }
        chosen = channel.get("token") if token is None else token
        if chosen:
            headers["X-Goog-Channel-Token"] = chosen
        return await client.post(url or channel["address"], headers=headers)

    # -- OAuth -------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = await form_and_query(request)
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "authorization_code":
            redirect_uri = self._codes.pop(form.get("code", ""), None)
            if redirect_uri is None:
                return _oauth_error(400, "invalid_grant", "Malformed auth code.")
            if form.get("redirect_uri") != redirect_uri:
                return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
            return JSONResponse(self._issue(refresh_token=self.add_refresh_token()))
        if grant == "refresh_token":
            if form.get("refresh_token") not in self._refresh_tokens:
                return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            return JSONResponse(self._issue(refresh_token=None))
        return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + grant)

    def _issue(self, *, refresh_token: str | None) -> dict[str, Any]:
        token = "ya29." + secrets.token_urlsafe(60)
        self._tokens[token] = self.clock() + self.token_ttl
        answer: dict[str, Any] = {
            "access_token": token,
            "expires_in": str(self.token_ttl) if self.expires_in_as_string else self.token_ttl,
            "scope": "https://www.googleapis.com/auth/calendar.events",
            "token_type": "Bearer",
        }
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token
        return answer

    def _authorized(self, request: Request, *, meet: bool = False) -> Response | None:
        if self._tokens.get(bearer(request) or "", 0.0) > self.clock():
            return None
        message = "Request had invalid authentication credentials."
        if meet:
            return _meet_error(401, message, "UNAUTHENTICATED")
        return _calendar_error(
            401,
            "authError",
            "Invalid Credentials",
            extra={"locationType": "header", "location": "Authorization"},
        )

    # -- Calendar events ---------------------------------------------------------

    def _calendar(self, request: Request) -> dict[str, dict[str, Any]]:
        return self.events.setdefault(request.path_params["calendar"], {})

    async def _insert(self, request: Request) -> Response:
        denied = self._authorized(request)
        if denied:
            return denied
        self.inserts += 1
        query = request.query_params
        if query.get("sendUpdates", "none") not in ("all", "externalOnly", "none"):
            return _calendar_error(400, "invalid", "Invalid value for: sendUpdates")
        body = await request.json()
        calendar = self._calendar(request)
        event_id = body.get("id") or "".join(
            secrets.choice(string.digits + "abcdefghijklmnopqrstuv") for _ in range(26)
        )
        if not _EVENT_ID.fullmatch(event_id):
            return _calendar_error(400, "invalid", "Invalid resource id value.")
        if event_id in calendar:
            return _calendar_error(409, "duplicate", "The requested identifier already exists.")
        if "start" not in body or "end" not in body:
            return _calendar_error(400, "required", "Missing end time.")
        now = _rfc3339(datetime.fromtimestamp(self.clock(), UTC))
        event: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": f'"{secrets.randbits(48)}"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": now,
            "updated": now,
            "summary": body.get("summary", ""),
            "creator": {"email": "teacher@example.com", "self": True},
            "organizer": {"email": "teacher@example.com", "self": True},
            "start": body["start"],
            "end": body["end"],
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        for key in ("description", "extendedProperties", "attendees", "location"):
            if key in body:
                event[key] = body[key]
        create = body.get("conferenceData", {}).get("createRequest")
        if query.get("conferenceDataVersion") == "1" and create:
            event["conferenceData"] = {
                "createRequest": {**create, "status": {"statusCode": "pending"}}
            }
            self._pending[event_id] = self.conference_ready_after
        calendar[event_id] = event
        return JSONResponse(event)

    def _event(self, request: Request) -> dict[str, Any] | Response:
        """The event the path names, or the error answer (unauthorized, not found)."""
        denied = self._authorized(request)
        if denied:
            return denied
        event = self._calendar(request).get(request.path_params["event"])
        if event is None:
            return _calendar_error(404, "notFound", "Not Found")
        return event

    async def _get(self, request: Request) -> Response:
        event = self._event(request)
        if isinstance(event, Response):
            return event
        if event["id"] in self._pending:
            self._pending[event["id"]] -= 1
            if self._pending[event["id"]] <= 0:
                del self._pending[event["id"]]
                self._settle_conference(event)
        return JSONResponse(event)

    def _settle_conference(self, event: dict[str, Any]) -> None:
        conference = event["conferenceData"]
        if self.conference_outcome == "failure":
            conference["createRequest"]["status"] = {"statusCode": "failure"}
            return
        code = "-".join(
            "".join(secrets.choice(string.ascii_lowercase) for _ in range(n)) for n in (3, 4, 3)
        )
        conference["createRequest"]["status"] = {"statusCode": "success"}
        conference.update(
            {
                "entryPoints": [
                    {
                        "entryPointType": "video",
                        "uri": f"https://meet.google.com/{code}",
                        "label": f"meet.google.com/{code}",
                    },
                    {
                        "entryPointType": "more",
                        "uri": f"https://tel.meet/{code}?pin={secrets.randbits(40)}",
                        "pin": str(secrets.randbits(40)),
                    },
                ],
                "conferenceSolution": {
                    "key": {"type": "hangoutsMeet"},
                    "name": "Google Meet",
                    "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
                },
                "conferenceId": code,
                "signature": base64.b64encode(secrets.token_bytes(24)).decode(),
            }
        )
        event["hangoutLink"] = f"https://meet.google.com/{code}"

    async def _patch(self, request: Request) -> Response:
        event = self._event(request)
        if isinstance(event, Response):
            return event
        body = await request.json()
        if request.query_params.get("conferenceDataVersion") != "1":
            # Version 0 ignores conference data, and Google may drop the existing one.
            body.pop("conferenceData", None)
        for key, value in body.items():
            if key not in ("id", "kind", "etag", "htmlLink", "created", "hangoutLink"):
                event[key] = value
        event["sequence"] += 1
        event["updated"] = _rfc3339(datetime.fromtimestamp(self.clock(), UTC))
        return JSONResponse(event)

    async def _delete(self, request: Request) -> Response:
        event = self._event(request)
        if isinstance(event, Response):
            return event
        if event["status"] == "cancelled":
            return _calendar_error(410, "deleted", "Resource has been deleted")
        event["status"] = "cancelled"
        return Response(status_code=204)

    # -- channels ----------------------------------------------------------------

    async def _watch(self, request: Request) -> Response:
        denied = self._authorized(request)
        if denied:
            return denied
        body = await request.json()
        if body.get("type") not in ("web_hook", "webhook") or not body.get("id"):
            return _calendar_error(400, "invalid", "Invalid channel type or id.")
        if not str(body.get("address", "")).startswith("https://"):
            return _calendar_error(
                400, "push.webhookUrlNotHttps", "WebHook callback must be HTTPS."
            )
        if body["id"] in self.channels:
            return _calendar_error(400, "channelIdNotUnique", "Channel id not unique.")
        now_ms = int(self.clock() * 1000)
        expiration = min(int(body.get("expiration") or 1 << 62), now_ms + self.channel_ttl * 1000)
        calendar = request.path_params["calendar"]
        channel = {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": _resource_id(calendar),
            "resourceUri": f"{request.base_url}calendar/v3/calendars/{calendar}/events?alt=json",
            "token": body.get("token"),
            "expiration": str(expiration),
        }
        self.channels[body["id"]] = {**channel, "address": body["address"]}
        return JSONResponse(channel)

    async def _stop(self, request: Request) -> Response:
        denied = self._authorized(request)
        if denied:
            return denied
        body = await request.json()
        channel = self.channels.get(body.get("id", ""))
        if channel is None or channel["resourceId"] != body.get("resourceId"):
            return _calendar_error(404, "notFound", f"Channel '{body.get('id')}' not found")
        del self.channels[body["id"]]
        self.stopped.append(body["id"])
        return Response(status_code=204)

    # -- Meet REST v2 --------------------------------------------------------------

    def _page(self, request: Request, kind: str, items: list[dict[str, Any]]) -> Response:
        default, maximum = _PAGE_SIZES[kind]
        query = request.query_params
        size = min(int(query.get("pageSize") or default), maximum)
        offset = 0
        if query.get("pageToken"):
            try:
                key, _, start = (
                    base64.urlsafe_b64decode(query["pageToken"]).decode().rpartition(":")
                )
                offset = int(start)
            except ValueError:
                key = ""
            if key != f"{kind}:{request.url.path}":
                return _meet_error(400, "Invalid page token.", "INVALID_ARGUMENT")
        body: dict[str, Any] = {
            kind: [{k: v for k, v in i.items() if not k.startswith("_")} for i in items][
                offset : offset + size
            ]
        }
        if offset + size < len(items):
            raw = f"{kind}:{request.url.path}:{offset + size}".encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(raw).decode()
        return JSONResponse(body)

    def _conference(self, request: Request) -> _Conference | Response:
        """The conference record the path names, or the error answer."""
        denied = self._authorized(request, meet=True)
        if denied:
            return denied
        name = f"conferenceRecords/{request.path_params['record']}"
        found = next((c for c in self._conferences if c.record["name"] == name), None)
        if found is None:
            return _meet_error(404, "Requested entity was not found.", "NOT_FOUND")
        return found

    async def _records(self, request: Request) -> Response:
        denied = self._authorized(request, meet=True)
        if denied:
            return denied
        records = sorted(
            (c.record for c in self._conferences), key=lambda r: r["startTime"], reverse=True
        )
        raw_filter = request.query_params.get("filter")
        if raw_filter is not None:
            match = _MEETING_CODE_FILTER.match(raw_filter)
            if match is None:
                return _meet_error(400, "Invalid filter.", "INVALID_ARGUMENT")
            records = [r for r in records if r["_meeting_code"] == match.group(1)]
        return self._page(request, "conferenceRecords", records)

    def _conference_list(self, kind: str) -> Callable[[Request], Awaitable[Response]]:
        """``GET conferenceRecords/{record}/<kind>``: one page of that list of the conference."""

        async def listing(request: Request) -> Response:
            conference = self._conference(request)
            if isinstance(conference, Response):
                return conference
            return self._page(request, kind, getattr(conference, kind))

        return listing

    async def _sessions(self, request: Request) -> Response:
        conference = self._conference(request)
        if isinstance(conference, Response):
            return conference
        name = f"{conference.record['name']}/participants/{request.path_params['participant']}"
        if name not in conference.sessions:
            return _meet_error(404, "Requested entity was not found.", "NOT_FOUND")
        return self._page(request, "participantSessions", conference.sessions[name])


def create_fake_google(*, clock: Clock = time.time) -> FakeGoogle:
    return FakeGoogle(clock=clock)


def _resource_id(calendar: str) -> str:
    """Stable per calendar, like Google's opaque ``resourceId``."""
    return base64.urlsafe_b64encode(calendar.encode()).decode().rstrip("=")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status)


def _calendar_error(
    status: int, reason: str, message: str, *, extra: dict[str, str] | None = None
) -> Response:
    detail = {"domain": "global", "reason": reason, "message": message, **(extra or {})}
    return JSONResponse({"error": {"errors": [detail], "code": status, "message": message}}, status)


def _meet_error(status: int, message: str, status_name: str) -> Response:
    return JSONResponse(
        {"error": {"code": status, "message": message, "status": status_name}}, status
    )
