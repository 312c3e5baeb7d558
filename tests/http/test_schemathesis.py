"""schemathesis over the live server's own ``/openapi.json``, as admin, mentor and student.

Every operation of the document, generated from its schema (valid inputs and
invalid ones), must answer without a server error, with a status code the
document lists, a documented content type, and a body matching the
documented schema.  Half of the generated cases address real resources (a
live class with a poll, a question and a chat message, the course, a
notification) so the checks reach past 404.

No operation is excluded.  The server runs against the fake Zoom and Google,
so generated account settings are checked against them, never a real
provider.  The provider webhooks answer every generated request 401 (no valid
signature; their verified paths are tested in ``tests/webhooks``) and the
OAuth routes answer without following a redirect to a provider
(``tests/integrations`` drives them against the fakes).

The budget is ``LIVECLASS_TEST_SCHEMA_EXAMPLES`` examples per operation, mode
and role (default 4, which keeps CI to a few minutes per backend on a small
machine); raise it for a longer run by hand.  Generation runs in a worker
thread, since schemathesis calls synchronously while the server is served by
this test's event loop.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.platform import Person, Platform
from tests.support.sockets import live_class

# hypothesis warns when the global ``random`` state moves while it draws, taking
# it for a strategy using ``random``.  Ours do not; the server in this process
# does, from another thread (uvicorn's websocket pings, retry jitter).
IN_PROCESS_RANDOM = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

EXAMPLES = int(os.environ.get("LIVECLASS_TEST_SCHEMA_EXAMPLES", "4"))


def no_internal_error(ctx: Any, response: Any, case: Any) -> None:
    """No 500 (a bug).  502 and 503 are documented answers about a provider or the database."""
    assert response.status_code != 500, f"500: {response.text[:500]}"


CHECKS = [
    no_internal_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Run:
    requests: int = 0
    failures: list[str] = field(default_factory=list)


async def real_ids(platform: Platform) -> dict[str, str]:
    class_id = await live_class(platform)
    base = f"/api/live-classes/{class_id}"
    mentor, student = platform.mentor, platform.students[0]
    poll = await platform.call(
        "POST", f"{base}/polls", mentor, json={"question": "Q", "kind": "rating"}
    )
    question = await platform.call("POST", f"{base}/qa", student, json={"text": "Why?"})
    message = await platform.call("POST", f"{base}/chat", student, json={"text": "hello"})
    cancelled = await platform.schedule()
    await platform.call("DELETE", f"/api/live-classes/{cancelled['id']}", mentor)
    notices = await platform.call("GET", "/api/notifications", student)
    return {
        "class_id": class_id,
        "course_id": platform.course_id,
        "poll_id": poll.json()["data"]["id"],
        "qa_id": question.json()["data"]["id"],
        "message_id": message.json()["data"]["id"],
        "notification_id": notices.json()["data"][0]["id"],
        "event_id": "1",
    }


def fuzz(url: str, who: Person, ids: dict[str, str]) -> Run:
    """Every operation, ``EXAMPLES`` cases per generation mode; failures collected, not raised."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"Authorization": f"Bearer {who.token}"}
    run = Run()
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # a part of the document schemathesis cannot read
            run.failures.append(f"unreadable operation: {result.err()}")
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
            def check(case: Any, real: bool) -> None:
                if real and case.path_parameters:
                    for name in case.path_parameters:
                        if name in ids:
                            case.path_parameters[name] = ids[name]
                run.requests += 1
                response = case.call(
                    base_url=url, headers=headers, allow_redirects=False, timeout=30
                )
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid: no parameters and no body (the Google webhook).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # one report per operation and mode
                label = f"{operation.label} [{mode.value}]"
                run.failures.append(f"{label}: {exc}"[:3000])
    return run


@pytest.mark.slow
@IN_PROCESS_RANDOM
@pytest.mark.parametrize("role", ["admin", "mentor", "student"])
async def test_every_operation_conforms_to_the_document(
    provider_platform: Platform, role: str
) -> None:
    # The app with fake Zoom and Google: nothing generated here may reach a real provider.
    platform = provider_platform
    ids = await real_ids(platform)
    who = {"admin": platform.admin, "mentor": platform.mentor, "student": platform.students[0]}
    run = await asyncio.to_thread(fuzz, platform.server.url, who[role], ids)
    print(f"schemathesis as {role}: {run.requests} requests")
    assert run.requests > 0
    assert not run.failures, "\n\n".join(run.failures)
