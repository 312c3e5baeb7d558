"""An anonymous author appears in nothing a student or host receives, socket or HTTP."""

from __future__ import annotations

import json

from server.auth import Role
from tests.support.platform import Platform
from tests.support.sockets import connected, live_class


async def test_anonymous_author_never_leaks(platform: Platform) -> None:
    secret = platform.person("anon-author-77", "Zelda Hidden", Role.STUDENT)
    await platform.sync_course(
        platform.course_id,
        mentors=[platform.mentor.user_id],
        students=[*(s.user_id for s in platform.students), secret.user_id],
    )
    class_id = await live_class(platform)
    path = f"/api/live-classes/{class_id}"
    async with connected(platform.server.url, platform.mentor, platform.students[0], secret) as (
        host,
        pupil,
        author,
    ):
        await host.join(class_id)
        await pupil.join(class_id)
        asked = await author.ok(
            "question:ask", {"class_id": class_id, "text": "shy?", "anonymous": True}
        )
        qid = asked["question"]["id"]
        over_http = await platform.call(
            "POST", path + "/qa", secret, json={"text": "also shy", "anonymous": True}
        )
        assert over_http.status_code == 201, over_http.text
        await author.ok("question:vote", {"class_id": class_id, "question_id": qid, "up": True})
        await pupil.ok("question:vote", {"class_id": class_id, "question_id": qid, "up": True})
        # Before hiding it: counts of a hidden question are not broadcast.
        await host.wait_for("question:votes", lambda d: d["votes"][0]["votes"] == 2)
        for action in ("pin", "hide", "unhide"):
            await host.ok(
                "question:moderate", {"class_id": class_id, "question_id": qid, "action": action}
            )
        await host.ok(
            "question:answer", {"class_id": class_id, "question_id": qid, "text": "answer"}
        )
        seen: list[object] = [asked, over_http.json()]
        for client in (host, pupil):
            seen.extend(client.events)
            seen.append(await client.join(class_id))
            seen.append(await client.ok("class:resync", {"class_id": class_id, "after_seq": 0}))
        for who in (platform.mentor, platform.students[0]):
            for route in (
                "",
                "/qa",
                "/interactions",
                "/interactions?type=question",
                "/participants",
                "/chat",
                "/polls",
            ):
                response = await platform.call("GET", path + route, who)
                assert response.status_code == 200, (route, response.text)
                seen.append(response.json())
        text = json.dumps(seen, ensure_ascii=False)
        assert secret.user_id not in text and secret.name not in text
        assert "shy?" in text

        admin_view = await platform.call("GET", path + "/qa", platform.admin)
        authors = [q["author"] for q in admin_view.json()["data"]]
        assert authors and all(a["id"] == secret.user_id for a in authors)
