"""What a participant may see of a durable event; hosts see it as stored.

Used for live broadcasts and for ``class:resync`` replays alike, so both give
the same answer.  Nothing is dropped: every durable event reaches every
member in some form, so a participant's ``seq`` stays gapless.  A hidden
question reaches participants as a tombstone (id and status ``hidden``, no
text) so clients can remove it.  Anonymous authors are never stored in an
event at all.
"""

from __future__ import annotations

from typing import Any

from ..domain.polls import participants_see_results

__all__ = ["participant_view"]


def participant_view(name: str, data: dict[str, Any]) -> dict[str, Any]:
    if name in ("question:new", "question:updated") and data["question"]["status"] == "hidden":
        return {**data, "question": tombstone(data["question"])}
    if name == "poll:opened":
        return {**data, "poll": {**data["poll"], "correct": None}}
    if name == "poll:closed":
        poll = data["poll"]
        results = data["results"]
        visible = participants_see_results(poll["results"], poll["status"])
        return {**data, "results": without_voters(results) if visible else None}
    return data


def tombstone(question: dict[str, Any]) -> dict[str, Any]:
    return {
        **question,
        "text": "",
        "author": None,
        "answer": None,
        "votes": 0,
        "voted": False,
    }


def without_voters(results: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in results.items() if key != "voters"}
