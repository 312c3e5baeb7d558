"""Outbound webhooks as a platform receives them: signed, ordered per class, retried with
the same webhook-id, paused by the circuit, and never lost."""

from __future__ import annotations

import secrets
from typing import Any

from tests.outbound.conftest import CIRCUIT_FAILURES, CIRCUIT_PAUSE, register
from tests.support.clock import FakeClock
from tests.support.platform import Platform
from tests.support.waiting import wait_until
from tests.support.webhook_receiver import Receiver, running_receiver


async def deliveries(world: Platform, **query: str) -> list[dict[str, Any]]:
    response = await world.call(
        "GET", "/api/admin/webhook-deliveries", world.admin, params={"limit": 100, **query}
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


async def wait_deliveries(
    world: Platform, condition: Any, within: float = 20, **query: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    async def holds() -> bool:
        rows[:] = await deliveries(world, **query)
        return bool(condition(rows))

    await wait_until(holds, within=within, what=f"deliveries matching the condition ({query})")
    return rows


async def test_a_class_lifecycle_arrives_signed_and_in_order(
    world: Platform, receiver: Receiver, hooks_clock: FakeClock
) -> None:
    await register(world, receiver)
    klass = await world.schedule(title="Algebra")
    cid = klass["id"]
    moved = await world.call(
        "PATCH", f"/api/live-classes/{cid}", world.mentor, json={"title": "Algebra II"}
    )
    assert moved.status_code == 200, moved.text
    student = world.students[0]
    assert (await world.call("POST", f"/api/live-classes/{cid}/start", world.mentor)).is_success
    assert (await world.call("POST", f"/api/live-classes/{cid}/join", student)).is_success
    hooks_clock.advance(minutes=50)
    assert (await world.call("POST", f"/api/live-classes/{cid}/end", world.mentor)).is_success

    wanted = [
        "class.scheduled",
        "class.updated",
        "class.started",
        "class.ended",
        "attendance.finalized",
    ]
    await receiver.wait_for(lambda: len(receiver.received) >= len(wanted))
    assert receiver.forged == []
    assert receiver.types() == wanted
    assert len({d.webhook_id for d in receiver.received}) == len(wanted)
    first, updated = receiver.received[0].data["class"], receiver.received[1].data["class"]
    assert (first["id"], first["title"], updated["title"]) == (cid, "Algebra", "Algebra II")
    assert "host_url" not in first and first["join_url"]
    finalized = receiver.received[-1].data
    by_user = {row["user_id"]: row for row in finalized["attendance"]}
    assert by_user[student.user_id]["attended_seconds"] == 50 * 60
    assert by_user[student.user_id]["status"] == "present"
    assert by_user[world.students[1].user_id]["status"] == "absent"
    assert by_user[world.students[1].user_id]["attended_seconds"] == 0
    assert set(by_user[student.user_id]) >= {"attended_seconds", "attended_percent", "status"}
    # The class report rides along: totals and engagement per participant.
    assert finalized["report"]["totals"]["peak_online"] == 1
    assert finalized["report"]["totals"]["duration_seconds"] == 50 * 60
    engaged = {p["user_id"]: p for p in finalized["report"]["participants"]}
    assert engaged[student.user_id]["attended_seconds"] == 50 * 60

    rows = await wait_deliveries(world, lambda rows: all(r["status"] == "delivered" for r in rows))
    assert [r["event_type"] for r in reversed(rows)] == wanted
    assert all(r["attempts"] == 1 and r["last_status_code"] == 200 for r in rows)
    assert [r["message_id"] for r in reversed(rows)] == [d.webhook_id for d in receiver.received]


async def test_event_type_filter_and_disabled_endpoints(
    world: Platform, receiver: Receiver
) -> None:
    endpoint = await register(world, receiver, event_types=["class.cancelled"])
    klass = await world.schedule()
    cancelled = await world.call("DELETE", f"/api/live-classes/{klass['id']}", world.mentor)
    assert cancelled.status_code == 200, cancelled.text
    await receiver.wait_for(lambda: len(receiver.received) == 1)
    assert receiver.types() == ["class.cancelled"]
    assert receiver.received[0].data["class"]["status"] == "cancelled"

    off = await world.call(
        "PATCH",
        f"/api/admin/webhook-endpoints/{endpoint['id']}",
        world.admin,
        json={"enabled": False},
    )
    assert off.json()["data"]["enabled"] is False
    other = await world.schedule()
    await world.call("DELETE", f"/api/live-classes/{other['id']}", world.mentor)
    # A disabled endpoint gets no outbox rows at all.
    assert len(await deliveries(world, endpoint_id=str(endpoint["id"]))) == 1
    refused = await world.call(
        "POST", f"/api/admin/webhook-endpoints/{endpoint['id']}/test", world.admin
    )
    assert refused.status_code == 422


async def test_webhook_test_event_and_redelivery_keep_the_same_id(
    world: Platform, receiver: Receiver
) -> None:
    endpoint = await register(world, receiver)
    queued = await world.call(
        "POST", f"/api/admin/webhook-endpoints/{endpoint['id']}/test", world.admin
    )
    assert queued.status_code == 202, queued.text
    delivery = queued.json()["data"]
    assert delivery["event_type"] == "webhook.test"
    await receiver.wait_for(lambda: len(receiver.received) == 1)
    await wait_deliveries(world, lambda rows: rows[0]["status"] == "delivered")

    again = await world.call(
        "POST", f"/api/admin/webhook-deliveries/{delivery['id']}/redeliver", world.admin
    )
    assert again.status_code == 200, again.text
    await receiver.wait_for(lambda: len(receiver.received) == 2)
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == delivery["message_id"]
    assert first.body == second.body
    one = await world.call("GET", f"/api/admin/webhook-deliveries/{delivery['id']}", world.admin)
    assert one.json()["data"]["attempts"] == 2


async def test_a_failed_or_late_answer_is_retried_with_the_same_id(
    world: Platform, receiver: Receiver, hooks_clock: FakeClock
) -> None:
    await register(world, receiver)
    receiver.fail_next = 1
    klass = await world.schedule()
    await receiver.wait_for(lambda: len(receiver.received) == 1)
    rows = await wait_deliveries(
        world, lambda rows: rows[0]["attempts"] == 1 and rows[0]["status"] == "pending"
    )
    assert rows[0]["last_status_code"] == 503
    assert "try again later" in rows[0]["last_response"]
    hooks_clock.advance(seconds=5)
    await receiver.wait_for(lambda: len(receiver.received) == 2)
    # Answered 2xx, but later than the timeout: the server cannot know, so it tries again.
    receiver.answer_after = 1.5
    await world.call("PATCH", f"/api/live-classes/{klass['id']}", world.mentor, json={"title": "x"})
    await receiver.wait_for(lambda: len(receiver.received) == 3)
    late = await wait_deliveries(
        world, lambda rows: rows[0]["last_error"] == "timed out", event_type="class.updated"
    )
    receiver.answer_after = 0
    hooks_clock.advance(seconds=5)
    await receiver.wait_for(lambda: len(receiver.received) == 4)
    ids = [d.webhook_id for d in receiver.received]
    assert ids[0] == ids[1] and ids[2] == ids[3] == late[0]["message_id"] and ids[1] != ids[2]
    assert receiver.types() == ["class.scheduled"] * 2 + ["class.updated"] * 2
    assert receiver.forged == []


async def test_a_receiver_down_gets_everything_in_order_once_back_and_the_circuit_pauses(
    world: Platform, receiver: Receiver, hooks_clock: FakeClock
) -> None:
    endpoint = await register(world, receiver)
    await receiver.down()
    classes = [await world.schedule() for _ in range(CIRCUIT_FAILURES)]
    first = classes[0]["id"]
    await world.call("PATCH", f"/api/live-classes/{first}", world.mentor, json={"title": "B"})
    await world.call("POST", f"/api/live-classes/{first}/start", world.mentor)
    await world.call("POST", f"/api/live-classes/{first}/end", world.mentor)

    # Each class's first event is tried and fails; its later events wait behind it.
    # Attempts are counted when claimed: wait until their failures are recorded too.
    rows = await wait_deliveries(
        world,
        lambda rows: (
            sum(r["attempts"] for r in rows) >= CIRCUIT_FAILURES
            and all(r["status"] == "pending" for r in rows)
        ),
    )
    waiting = [r for r in rows if r["class_id"] == first and r["event_type"] != "class.scheduled"]
    assert waiting and all(r["attempts"] == 0 for r in waiting)
    assert all("ConnectError" in (r["last_error"] or "") for r in rows if r["attempts"])
    got = await world.call("GET", f"/api/admin/webhook-endpoints/{endpoint['id']}", world.admin)
    assert got.json()["data"]["failure_streak"] >= CIRCUIT_FAILURES
    assert got.json()["data"]["paused_until"] is not None

    # Paused: retries that came due are not attempted until the pause is over. Another
    # organization's delivery, queued after the clock moved, shows a claim has passed since.
    hooks_clock.advance(seconds=CIRCUIT_PAUSE / 2)
    async with (
        running_receiver() as witness,
        Platform.create(world.server, org=f"org-{secrets.token_hex(4)}") as elsewhere,
    ):
        await register(elsewhere, witness)
        await elsewhere.schedule()
        await witness.wait_for(lambda: len(witness.received) == 1)
    attempts = sum(r["attempts"] for r in await deliveries(world))
    assert attempts == sum(r["attempts"] for r in rows)

    await receiver.up()
    hooks_clock.advance(seconds=CIRCUIT_PAUSE)
    total = len(rows)
    await receiver.wait_for(lambda: len({d.webhook_id for d in receiver.received}) == total)
    of_first = receiver.types(lambda d: d.data["class"]["id"] == first)
    assert of_first == [
        "class.scheduled",
        "class.updated",
        "class.started",
        "class.ended",
        "attendance.finalized",
    ]
    assert receiver.forged == []
    got = await world.call("GET", f"/api/admin/webhook-endpoints/{endpoint['id']}", world.admin)
    assert (got.json()["data"]["failure_streak"], got.json()["data"]["paused_until"]) == (0, None)


async def test_a_delivery_fails_after_the_retry_window_and_stops_holding_the_class_back(
    world: Platform, receiver: Receiver, hooks_clock: FakeClock
) -> None:
    await register(world, receiver)
    # Its first attempt fails, and the one after the window (25 h later) too.
    receiver.fail_next = 2
    klass = await world.schedule()
    await wait_deliveries(
        world, lambda rows: rows[0]["attempts"] == 1 and rows[0]["status"] == "pending"
    )
    await world.call("PATCH", f"/api/live-classes/{klass['id']}", world.mentor, json={"title": "y"})
    hooks_clock.advance(hours=25)
    # The update no longer waits for the failed one.
    rows = await wait_deliveries(
        world, lambda rows: [r["status"] for r in rows] == ["delivered", "failed"]
    )
    assert [r["event_type"] for r in rows] == ["class.updated", "class.scheduled"]
    assert rows[1]["attempts"] == 2 and rows[1]["last_status_code"] == 503


async def test_admin_routes_refuse_others_and_bad_input(
    world: Platform, receiver: Receiver
) -> None:
    for who in (world.mentor, world.students[0]):
        denied = await world.call("GET", "/api/admin/webhook-endpoints", who)
        assert denied.status_code == 403
    bad = await world.call(
        "POST", "/api/admin/webhook-endpoints", world.admin, json={"url": "ftp://example.com/x"}
    )
    assert bad.status_code == 400 and "url" in bad.json()["error"]["details"]
    unknown_type = await world.call(
        "POST",
        "/api/admin/webhook-endpoints",
        world.admin,
        json={"url": receiver.url, "event_types": ["class.exploded"]},
    )
    assert unknown_type.status_code == 400
    missing = await world.call("GET", "/api/admin/webhook-deliveries/999999", world.admin)
    assert missing.status_code == 404
    not_a_number = await world.call("GET", "/api/admin/webhook-deliveries/abc", world.admin)
    assert not_a_number.status_code == 400
    listed = await world.call("GET", "/api/admin/webhook-endpoints", world.admin)
    assert listed.status_code == 200 and "secret" not in str(listed.json()["data"])

    endpoint = await register(world, receiver)
    deleted = await world.call(
        "DELETE", f"/api/admin/webhook-endpoints/{endpoint['id']}", world.admin
    )
    assert deleted.json()["data"] == {"deleted": True}
    gone = await world.call("GET", f"/api/admin/webhook-endpoints/{endpoint['id']}", world.admin)
    assert gone.status_code == 404


async def test_poll_closed_names_voters_only_when_not_anonymous(
    world: Platform, receiver: Receiver
) -> None:
    await register(world, receiver, event_types=["poll.closed"])
    klass = await world.schedule()
    cid = klass["id"]
    await world.call("POST", f"/api/live-classes/{cid}/start", world.mentor)
    student = world.students[0]
    for anonymous in (True, False):
        created = await world.call(
            "POST",
            f"/api/live-classes/{cid}/polls",
            world.mentor,
            json={
                "question": "Ready?",
                "kind": "single",
                "options": ["yes", "no"],
                "anonymous": anonymous,
            },
        )
        assert created.status_code in (200, 201), created.text
        poll_id = created.json()["data"]["id"]
        voted = await world.call(
            "POST",
            f"/api/live-classes/{cid}/polls/{poll_id}/respond",
            student,
            json={"choice": 0},
        )
        assert voted.is_success, voted.text
        closed = await world.call(
            "POST", f"/api/live-classes/{cid}/polls/{poll_id}/close", world.mentor
        )
        assert closed.is_success, closed.text
    await receiver.wait_for(lambda: len(receiver.received) == 2)
    anonymous_poll, named_poll = (d.data for d in receiver.received)
    assert student.user_id not in str(anonymous_poll["results"])
    assert student.user_id in str(named_poll["results"])
    assert anonymous_poll["poll"]["anonymous"] is True
