"""The visibility matrix: record kinds x viewer roles x poll settings x read paths.

One class per backend holds one record of every kind: a chat message, a
question, an anonymous one, a hidden one, a reaction, a raised hand, a shared
resource, and six quiz polls (``results`` live / on_close / hosts x anonymous
or not) that both students answered.  Five viewers watch it from the start:
the host, a co-host (another mentor of the course), an admin, the author
(student-1, who did everything a student did) and another participant
(student-2, who voted too).  Each viewer's view is captured on every read
path, with the polls open and again once closed; each test below is one cell
and compares what that viewer saw with the rule written out here by hand.

Read paths: ``live`` (events received while it happened), ``snapshot``
(``class:join``), ``resync`` (``class:resync`` from 0), ``http`` (the kind's own
list route) and ``interactions`` (``GET .../interactions``); for polls also
``http_results`` (``GET .../polls/{id}/results``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from server.auth import Role
from tests.support.platform import Person, Platform
from tests.support.servers import LiveServer
from tests.support.sockets import Client, connected, live_class

HOSTS = ("host", "co_host", "admin")
PARTICIPANTS = ("author", "other")
VIEWERS = (*HOSTS, *PARTICIPANTS)
PHASES = ("open", "closed")
SETTINGS = [
    (results, anonymous) for results in ("live", "on_close", "hosts") for anonymous in (False, True)
]
OPTIONS = [f"option {i}" for i in range(10)]
CORRECT = [9]
AUTHOR, OTHER = "student-1", "student-2"
TEXTS = {
    "question": "public question?",
    "anonymous_question": "anonymous question?",
    "hidden_question": "hidden question?",
}
EMOJI = "👍"


def choice(viewer: str, index: int) -> list[int]:
    """Each (voter, poll) answers differently, so a response row tells which poll it is."""
    return [index] if viewer == "author" else [index, 9]


def expected_tally(index: int) -> dict[str, Any]:
    counts = [0] * len(OPTIONS)
    counts[index] += 2
    counts[9] += 1
    return {"total": 2, "counts": counts}


def expected_voters(index: int) -> list[list[str]]:
    voters: list[list[str]] = [[] for _ in OPTIONS]
    voters[index] = [AUTHOR, OTHER]
    voters[9] = [OTHER]
    return voters


@dataclass
class Seen:
    """What one viewer saw at one phase, on every path."""

    live: list[tuple[str, Any]]
    snapshot: dict[str, Any]
    resync: list[tuple[str, Any]]
    http: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scene:
    class_id: str
    people: dict[str, Person]
    polls: dict[tuple[str, bool], tuple[int, str]]  # setting -> (index, poll id)
    seen: dict[tuple[str, str], Seen]
    ids: dict[str, str]  # record kind -> id


async def capture(platform: Platform, clients: dict[str, Client], scene: Scene, phase: str) -> None:
    """Every viewer's view now; live events up to the phase's marker message."""
    marker = f"marker {phase}"
    await clients["host"].ok("chat:send", {"class_id": scene.class_id, "text": marker})
    path = f"/api/live-classes/{scene.class_id}"
    for viewer, client in clients.items():
        await client.wait_for("chat:message", lambda d: d["message"]["text"] == marker)
        upto = next(
            i
            for i, (name, data) in enumerate(client.events)
            if name == "chat:message" and data["message"]["text"] == marker
        )
        snapshot = await client.join(scene.class_id)
        replay = await client.ok("class:resync", {"class_id": scene.class_id, "after_seq": 0})
        assert not replay["more"]
        seen = Seen(
            live=list(client.events[:upto]),
            snapshot=snapshot,
            resync=[(e["event"], e["data"]) for e in replay["events"]],
        )
        who = scene.people[viewer]
        for name, route in (
            ("chat", "/chat?limit=100"),
            ("qa", "/qa?limit=100"),
            ("polls", "/polls"),
            ("resources", "/resources"),
            ("interactions", "/interactions?limit=100"),
            ("poll_response", "/interactions?type=poll_response&limit=100"),
            ("reaction", "/interactions?type=reaction&limit=100"),
        ):
            response = await platform.call("GET", path + route, who)
            assert response.status_code == 200, (viewer, route, response.text)
            seen.http[name] = response.json()["data"]
        results = {}
        for _, poll_id in scene.polls.values():
            response = await platform.call("GET", f"{path}/polls/{poll_id}/results", who)
            assert response.status_code in (200, 403), response.text
            results[poll_id] = (response.status_code, response.json().get("data"))
        seen.http["results"] = results
        scene.seen[(viewer, phase)] = seen


def counted(poll_id: str) -> Callable[[dict[str, Any]], bool]:
    """A ``poll:results`` batch of this poll carrying both votes."""
    return lambda data: data["poll_id"] == poll_id and data["results"]["total"] == 2


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def scene(server: LiveServer) -> AsyncIterator[Scene]:
    async with Platform.create(server, org=f"org-{secrets.token_hex(4)}") as world:
        co_host = world.person("mentor-2", "Cora Cohost", Role.MENTOR)
        await world.sync_course(
            world.course_id,
            mentors=[world.mentor.user_id, co_host.user_id],
            students=[AUTHOR, OTHER],
        )
        people = {
            "host": world.mentor,
            "co_host": co_host,
            "admin": world.admin,
            "author": world.students[0],
            "other": world.students[1],
        }
        class_id = await live_class(world)
        scene = Scene(class_id, people, {}, {}, {})
        async with connected(server.url, *people.values()) as joined:
            clients = dict(zip(people, joined, strict=True))
            for client in joined:
                await client.join(class_id)
            host, author, other = clients["host"], clients["author"], clients["other"]
            at = {"class_id": class_id}
            sent = await author.ok("chat:send", {**at, "text": "hello from the author"})
            scene.ids["chat"] = sent["message"]["id"]
            for kind, text in TEXTS.items():
                asked = await author.ok(
                    "question:ask",
                    {**at, "text": text, "anonymous": kind == "anonymous_question"},
                )
                scene.ids[kind] = asked["question"]["id"]
            await host.ok(
                "question:moderate",
                {**at, "question_id": scene.ids["hidden_question"], "action": "hide"},
            )
            shared = await host.ok(
                "resource:share",
                {**at, "kind": "slides", "title": "Slides", "url": "https://example.com/s"},
            )
            scene.ids["resource"] = shared["resource"]["id"]
            await author.ok("hand:raise", at)
            await author.ok("reaction:send", {**at, "emoji": EMOJI})
            for index, (results, anonymous) in enumerate(SETTINGS):
                poll = await host.ok(
                    "poll:create",
                    {
                        **at,
                        "question": f"{results} {anonymous}?",
                        "kind": "multiple",
                        "options": OPTIONS,
                        "anonymous": anonymous,
                        "results": results,
                        "correct": CORRECT,
                    },
                )
                poll_id = poll["poll"]["id"]
                scene.polls[(results, anonymous)] = (index, poll_id)
                for name, voter in (("author", author), ("other", other)):
                    await voter.ok(
                        "poll:vote", {**at, "poll_id": poll_id, "choice": choice(name, index)}
                    )
            # Let the coalesced batches (results, reactions) reach everyone first.
            for _, poll_id in scene.polls.values():
                await host.wait_for("poll:results", counted(poll_id))
            for client in joined:
                await client.wait_for("reaction:burst")
                for (results, _), (_, poll_id) in scene.polls.items():
                    if results == "live":
                        await client.wait_for("poll:results", counted(poll_id))
            await capture(world, clients, scene, "open")
            for _, poll_id in scene.polls.values():
                await host.ok("poll:close", {**at, "poll_id": poll_id})
            await capture(world, clients, scene, "closed")
        yield scene


# -- polls ---------------------------------------------------------------------------------


def _tally(results: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if results is None else {"total": results["total"], "counts": results["counts"]}


def _voters(results: dict[str, Any] | None) -> list[list[str]] | None:
    if results is None or results.get("voters") is None:
        return None
    return [sorted(user["id"] for user in option) for option in results["voters"]]


def _about(events: list[tuple[str, Any]], poll_id: str) -> list[tuple[str, Any]]:
    return [
        (name, data)
        for name, data in events
        if isinstance(data, dict)
        and (data.get("poll_id") == poll_id or (data.get("poll") or {}).get("id") == poll_id)
    ]


def _responses(rows: list[dict[str, Any]], index: int) -> list[tuple[str | None, list[int]]]:
    """The response rows of poll ``index`` (recognised by their choice), as (user, choice)."""
    ours = (choice("author", index), choice("other", index))
    found = []
    for row in rows:
        if row["interaction_type"] != "poll_response":
            continue
        value = json.loads(row["content"])
        if value in ours:
            found.append((row["user"]["id"] if row["user"] else None, value))
    return sorted(found, key=lambda r: (r[0] or "", r[1]))


def poll_observed(seen: Seen, path: str, index: int, poll_id: str) -> Any:
    if path in ("snapshot", "http"):
        views = seen.snapshot["polls"] if path == "snapshot" else seen.http["polls"]
        [view] = [v for v in views if v["id"] == poll_id]
        return {
            "tally": _tally(view["tally"]),
            "voters": _voters(view["tally"]),
            "correct": view["correct"],
            "my_vote": view["my_vote"],
        }
    if path == "http_results":
        status, data = seen.http["results"][poll_id]
        return "forbidden" if status == 403 else {"tally": _tally(data), "voters": _voters(data)}
    if path in ("live", "resync"):
        observed: dict[str, Any] = {}
        for name, data in _about(seen.live if path == "live" else seen.resync, poll_id):
            if name in ("poll:opened", "poll:closed"):
                observed["correct"] = data["poll"]["correct"]
            if name in ("poll:results", "poll:closed"):
                observed["tally"] = _tally(data["results"])
                observed["voters"] = _voters(data["results"])
        return observed
    assert path == "interactions"
    return {
        "filtered": _responses(seen.http["poll_response"], index),
        "combined": _responses(seen.http["interactions"], index),
    }


def poll_expected(
    path: str, viewer: str, index: int, results: str, anonymous: bool, phase: str
) -> Any:
    """The rule, written out: tallies by ``results``, voters to hosts unless anonymous,
    ``correct`` to hosts until closed, each participant their own vote only."""
    host, closed = viewer in HOSTS, phase == "closed"
    shown = host or results == "live" or (results == "on_close" and closed)
    tally = expected_tally(index) if shown else None
    voters = expected_voters(index) if host and not anonymous else None
    correct = CORRECT if host or closed else None
    if path in ("snapshot", "http"):
        my_vote = None if host else choice(viewer, index)
        return {"tally": tally, "voters": voters, "correct": correct, "my_vote": my_vote}
    if path == "http_results":
        return {"tally": tally, "voters": voters} if shown else "forbidden"
    if path == "live":
        if not closed and not shown:  # no poll:results reach this viewer while open
            return {"correct": correct}
        return {"tally": tally, "voters": voters, "correct": correct}
    if path == "resync":  # durable events only: poll:opened, then poll:closed
        return (
            {"tally": tally, "voters": voters, "correct": correct}
            if closed
            else {"correct": correct}
        )
    rows: list[tuple[str | None, list[int]]]
    if host:
        rows = (
            []
            if anonymous
            else [(AUTHOR, choice("author", index)), (OTHER, choice("other", index))]
        )
    else:
        own = AUTHOR if viewer == "author" else OTHER
        rows = [(None if anonymous else own, choice(viewer, index))]
    return {"filtered": rows, "combined": rows}


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize(
    ("results", "anonymous"), SETTINGS, ids=[f"{r}-{'anon' if a else 'named'}" for r, a in SETTINGS]
)
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(
    "path", ["live", "snapshot", "resync", "http", "http_results", "interactions"]
)
def test_poll(
    scene: Scene, path: str, viewer: str, results: str, anonymous: bool, phase: str
) -> None:
    index, poll_id = scene.polls[(results, anonymous)]
    seen = scene.seen[(viewer, phase)]
    assert poll_observed(seen, path, index, poll_id) == poll_expected(
        path, viewer, index, results, anonymous, phase
    )


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize(
    ("results", "anonymous"), SETTINGS, ids=[f"{r}-{'anon' if a else 'named'}" for r, a in SETTINGS]
)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_poll_answer_is_attributed_to_anyone_else(
    scene: Scene, viewer: str, results: str, anonymous: bool, phase: str
) -> None:
    """Whatever the path, nothing about a poll names a voter the viewer may not link to it:
    for participants anyone but themselves, for everyone any voter of an anonymous poll."""
    index, poll_id = scene.polls[(results, anonymous)]
    seen = scene.seen[(viewer, phase)]
    about: list[Any] = [
        _about(seen.live, poll_id),
        _about(seen.resync, poll_id),
        [v for v in seen.snapshot["polls"] if v["id"] == poll_id],
        [v for v in seen.http["polls"] if v["id"] == poll_id],
        seen.http["results"][poll_id],
    ]
    rows = [
        row
        for row in seen.http["interactions"] + seen.http["poll_response"]
        if row["interaction_type"] == "poll_response"
        and json.loads(row["content"]) in (choice("author", index), choice("other", index))
    ]
    about.append(rows)
    text = json.dumps(about)
    if viewer in HOSTS:
        hidden = {AUTHOR, OTHER} if anonymous else set()
    else:
        hidden = {OTHER if viewer == "author" else AUTHOR}
    for user_id in hidden:
        assert user_id not in text, (user_id, about)
    for row in rows:  # ids are opaque: no voter, no poll
        assert AUTHOR not in row["id"] and OTHER not in row["id"] and poll_id not in row["id"]


# -- every other kind of record --------------------------------------------------------------


def _question(data: dict[str, Any]) -> tuple[str | None, str, str]:
    author = data["author"]["id"] if data["author"] else None
    return (author, data["text"], data["status"])


def record_observed(scene: Scene, seen: Seen, kind: str, path: str) -> Any:
    """One record of ``kind`` as this viewer saw it on ``path`` (``[]``: not at all)."""
    record_id = scene.ids.get(kind)
    if kind == "chat":
        if path in ("live", "resync"):
            events = seen.live if path == "live" else seen.resync
            messages = [d["message"] for n, d in events if n == "chat:message"]
        elif path == "snapshot":
            messages = seen.snapshot["chat"]
        elif path == "http":
            messages = seen.http["chat"]
        else:
            rows = [r for r in seen.http["interactions"] if r["id"] == record_id]
            return [(r["user"]["id"] if r["user"] else None, r["content"]) for r in rows]
        return [(m["user"]["id"], m["text"]) for m in messages if m["id"] == record_id]
    if kind in TEXTS:
        if path in ("live", "resync"):
            events = seen.live if path == "live" else seen.resync
            latest = [
                d["question"]
                for n, d in events
                if n in ("question:new", "question:updated") and d["question"]["id"] == record_id
            ][-1:]
            return [_question(q) for q in latest]
        if path in ("snapshot", "http"):
            listed = seen.snapshot["questions"] if path == "snapshot" else seen.http["qa"]
            return [_question(q) for q in listed if q["id"] == record_id]
        rows = [r for r in seen.http["interactions"] if r["id"] == record_id]
        return [(r["user"]["id"] if r["user"] else None, r["content"]) for r in rows]
    if kind == "reaction":
        if path == "live":
            bursts = [d for n, d in seen.live if n == "reaction:burst"]
            return [(sorted(burst), burst["counts"]) for burst in bursts]
        return seen.http["reaction"]
    if kind == "hand":
        if path in ("live", "resync"):
            events = seen.live if path == "live" else seen.resync
            queues = [d["hands"] for n, d in events if n == "hand:queue"][-1:]
            return [[h["user"]["id"] for h in queue] for queue in queues]
        return [[h["user"]["id"] for h in seen.snapshot["hands"]]]
    assert kind == "resource"
    if path in ("live", "resync"):
        events = seen.live if path == "live" else seen.resync
        listed = [d["resource"] for n, d in events if n == "resource:shared"]
    else:
        listed = seen.snapshot["resources"] if path == "snapshot" else seen.http["resources"]
    return [(r["title"], r["shared_by"]["id"]) for r in listed if r["id"] == record_id]


def record_expected(kind: str, viewer: str, path: str) -> Any:
    """The rule, written out per kind."""
    host = viewer in HOSTS
    if kind == "chat":
        return [(AUTHOR, "hello from the author")]
    if kind in TEXTS:
        text = TEXTS[kind]
        if kind == "hidden_question":
            if host:
                return [(AUTHOR, text)] if path == "interactions" else [(AUTHOR, text, "hidden")]
            # Participants saw it asked; then a tombstone replaces it. Lists leave it out.
            return [(None, "", "hidden")] if path in ("live", "resync") else []
        # Anonymous authors: no one, except admins over HTTP.
        named = kind == "question" or (viewer == "admin" and path in ("http", "interactions"))
        author = AUTHOR if named else None
        return [(author, text)] if path == "interactions" else [(author, text, "open")]
    if kind == "reaction":
        # Counts only, never who; reactions are not stored, so no history lists them.
        return [(["class_id", "counts"], {EMOJI: 1})] if path == "live" else []
    if kind == "hand":
        return [[AUTHOR]]
    assert kind == "resource"
    return [("Slides", "mentor-1")]


RECORD_PATHS = {
    "chat": ["live", "snapshot", "resync", "http", "interactions"],
    **{kind: ["live", "snapshot", "resync", "http", "interactions"] for kind in TEXTS},
    "reaction": ["live", "interactions"],
    "hand": ["live", "snapshot", "resync"],
    "resource": ["live", "snapshot", "resync", "http"],
}
RECORD_CELLS = [(kind, path) for kind, paths in RECORD_PATHS.items() for path in paths]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(("kind", "path"), RECORD_CELLS, ids=[f"{k}-{p}" for k, p in RECORD_CELLS])
def test_record(scene: Scene, kind: str, path: str, viewer: str) -> None:
    seen = scene.seen[(viewer, "open")]
    observed = record_observed(scene, seen, kind, path)
    assert observed == record_expected(kind, viewer, path)
