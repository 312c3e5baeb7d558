"""The official JavaScript client (socket.io-client 4) against the live server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.platform import Platform
from tests.support.sockets import live_class

NODE_DIR = Path(__file__).parent / "node"
DOCS = Path(__file__).parents[2] / "docs" / "realtime.md"


async def _run(*command: str, within: float, env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=NODE_DIR,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _node_ready() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for this test")
    if not (NODE_DIR / "node_modules" / "socket.io-client").exists():
        await _run("npm", "install", "--no-audit", "--no-fund", within=300)


def test_the_documented_example_is_this_file() -> None:
    example = (NODE_DIR / "example.mjs").read_text(encoding="utf-8")
    assert f"```js\n{example}```" in DOCS.read_text(encoding="utf-8")


async def test_the_documented_example_runs(platform: Platform) -> None:
    await _node_ready()
    class_id = await live_class(platform)
    student = platform.students[0]
    env = {
        **os.environ,
        "CLASSROOM_URL": platform.server.url,
        "CLASSROOM_TOKEN": student.token,
        "CLASSROOM_CLASS_ID": class_id,
    }
    out = await _run("node", "example.mjs", within=60, env=env)
    title = (await platform.call("GET", f"/api/live-classes/{class_id}", student)).json()["data"][
        "title"
    ]
    assert out.splitlines() == [
        f'joined "{title}" as participant; 1 online',
        f"{student.name}: Hello from the example!",
    ]
    chat = await platform.call("GET", f"/api/live-classes/{class_id}/chat", student)
    assert [m["text"] for m in chat.json()["data"]] == ["Hello from the example!"]


async def test_official_client_end_to_end(platform: Platform) -> None:
    await _node_ready()
    class_id = await live_class(platform)
    s1, s2 = platform.students
    config = {
        "url": platform.server.url,
        "classId": class_id,
        "tokens": {"mentor": platform.mentor.token, "s1": s1.token, "s2": s2.token},
    }
    out = await _run("node", "classroom.mjs", json.dumps(config), within=120)
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary == {
        "joinedRoles": ["host", "participant", "participant"],
        "snapshotKeys": sorted(
            ["chat", "class", "hands", "polls", "presence", "questions", "resources", "seq", "you"]
        ),
        "snapshotPresenceKeys": ["count", "users"],
        "presenceUpdateKeys": ["class_id", "count", "joined", "left", "truncated"],
        "presenceList": {"count": 3, "names": ["Grace Mentor", "Lee Learner"]},
        "presenceRest": ["Sam Student"],
        "presenceBadLimit": "bad_request",
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
