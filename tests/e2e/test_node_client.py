"""The official JavaScript client (socket.io-client 4) against the live server."""

from __future__ import annotations

from tests.support.node import run_node_script
from tests.support.platform import Platform
from tests.support.sockets import live_class


async def test_official_client_end_to_end(platform: Platform) -> None:
    class_id = await live_class(platform)
    s1, s2 = platform.students
    config = {
        "url": platform.server.url,
        "classId": class_id,
        "tokens": {"mentor": platform.mentor.token, "s1": s1.token, "s2": s2.token},
    }
    summary = await run_node_script("classroom.mjs", config, within=120)
    assert summary == {
        "joinedRoles": ["host", "participant", "participant"],
        "snapshotKeys": sorted(
            ["chat", "class", "hands", "polls", "presence", "questions", "resources", "seq", "you"]
        ),
        "chatSeen": "hello from node",
        "chatAckOk": True,
        "anonAuthor": None,
        "namedAuthor": s2.user_id,
        "voteAck": 1,
        "votesBatch": 1,
        "pollCounts": [1, 1],
        "pollClosedSeen": [1, 1],
        "handUp": [s1.user_id],
        "handDown": 0,
        "handQueues": 0,
        "reactionTotal": 5,
        "resynced": ["missed 0", "missed 1", "missed 2"],
        "unknownCode": "bad_request",
        "removed": {"class_id": class_id, "reason": "bye"},
        "rejoin": "forbidden",
    }
