"""Who sees what of a class: one rule per kind of record, used by every read path.

Every way out of the server asks this module: the HTTP lists (``/chat``,
``/qa``, ``/polls``, ``/polls/{id}/results``, ``/resources``,
``/interactions``), the ``class:join`` snapshot, ``class:resync`` replays and
live broadcasts.  "Hosts" are the host and co-hosts (admins included);
"participants" are enrolled students.

============== ==========================================================
record         who sees it
============== ==========================================================
chat message   every member, with its author; deleted messages no one
question       every member; ``hidden`` ones hosts only (participants get
               a tombstone event so clients drop it); an anonymous
               question's author no one, except admins over HTTP
poll           every member; ``correct`` hosts only until it closes
poll tallies   hosts always; participants as ``results`` says: ``live``
               always, ``on_close`` once closed, ``hosts`` never
poll voters    hosts, and only when the poll is not anonymous
poll response  its voter (their own vote, on every path); hosts every
               response of a poll that is not anonymous; of an anonymous
               poll no one else, admins included.  Response ids are opaque
               (a keyed hash), so no id carries the voter
reaction       counts only (``reaction:burst``), never who; not stored
hand           every member (the queue is public in the room)
resource       every member
============== ==========================================================
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy import ColumnElement, true

from ..db.tables import poll_votes, polls, questions

__all__ = [
    "names_voters",
    "participant_event",
    "question_scope",
    "response_id",
    "response_scope",
    "reveals_author",
    "sees_correct",
    "sees_question",
    "sees_tally",
]


# -- questions --------------------------------------------------------------------------


def question_scope(*, is_host: bool) -> ColumnElement[bool]:
    """The questions a viewer may list: hidden ones only for hosts."""
    return true() if is_host else questions.c.hidden.is_(False)


def sees_question(*, is_host: bool, hidden: bool) -> bool:
    """:func:`question_scope` for one question already read."""
    return is_host or not hidden


def reveals_author(*, is_admin: bool, over_http: bool) -> bool:
    """An anonymous question's author: admins, over HTTP only (never in a socket payload)."""
    return is_admin and over_http


# -- polls ------------------------------------------------------------------------------


def sees_tally(*, is_host: bool, results: str, status: str) -> bool:
    """Hosts always; participants ``live``: always, ``on_close``: once closed, ``hosts``: never."""
    return is_host or results == "live" or (results == "on_close" and status == "closed")


def names_voters(*, is_host: bool, anonymous: bool) -> bool:
    """Who chose what: hosts, of polls that are not anonymous."""
    return is_host and not anonymous


def sees_correct(*, is_host: bool, status: str) -> bool:
    """A quiz's answer: hosts, everyone once the poll is closed."""
    return is_host or status == "closed"


def response_scope(*, user_id: str, is_host: bool) -> ColumnElement[bool]:
    """The poll responses (``poll_votes`` joined to ``polls``) a viewer may list."""
    if is_host:
        return polls.c.anonymous.is_(False)
    return poll_votes.c.user_id == user_id


def response_id(key: str, poll_id: str, user_id: str) -> str:
    """A stable id for one response that cannot be traced back to its voter without the key."""
    message = f"poll-response\0{poll_id}\0{user_id}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:24]


# -- durable events -----------------------------------------------------------------------


def participant_event(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """A durable event (stored as hosts see it) as participants see it, live and on replay.

    Nothing is dropped, so a participant's ``seq`` stays gapless: a hidden
    question arrives as a tombstone.  Anonymous authors are never stored in an
    event at all, nor voters of anonymous polls.
    """
    if name in ("question:new", "question:updated") and data["question"]["status"] == "hidden":
        return {**data, "question": _tombstone(data["question"])}
    if name == "poll:opened":
        poll = data["poll"]
        shown = sees_correct(is_host=False, status=poll["status"])
        return {**data, "poll": {**poll, "correct": poll["correct"] if shown else None}}
    if name == "poll:closed":
        poll = data["poll"]
        shown = sees_tally(is_host=False, results=poll["results"], status=poll["status"])
        return {**data, "results": _without_voters(data["results"]) if shown else None}
    return data


def _tombstone(question: dict[str, Any]) -> dict[str, Any]:
    return {**question, "text": "", "author": None, "answer": None, "votes": 0, "voted": False}


def _without_voters(results: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in results.items() if key != "voters"}
