"""Course sync read back: a course, its mentors and enrolled students, and removing students."""

from __future__ import annotations

from typing import Any

from tests.support.platform import Platform


def data(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_course_reads_back_as_last_synced(platform: Platform) -> None:
    put = await platform.call(
        "PUT",
        "/api/courses/algebra",
        platform.admin,
        json={"title": "Algebra", "mentors": ["m-2", "m-1", "m-2"]},
    )
    assert data(put) == {
        "course_id": "algebra",
        "title": "Algebra",
        "mentors": ["m-1", "m-2"],
        "student_count": 0,
    }
    enrolled = await platform.call(
        "PUT", "/api/courses/algebra/enrollments", platform.admin, json={"students": ["s-2", "s-1"]}
    )
    assert data(enrolled) == {"course_id": "algebra", "students": ["s-1", "s-2"]}

    got = await platform.call("GET", "/api/courses/algebra", platform.admin)
    assert data(got) == {
        "course_id": "algebra",
        "title": "Algebra",
        "mentors": ["m-1", "m-2"],
        "student_count": 2,
    }
    # A later sync replaces the title and the mentors; the students stay.
    await platform.call(
        "PUT",
        "/api/courses/algebra",
        platform.admin,
        json={"title": "Algebra II", "mentors": ["m-3"]},
    )
    again = data(await platform.call("GET", "/api/courses/algebra", platform.admin))
    assert (again["title"], again["mentors"], again["student_count"]) == ("Algebra II", ["m-3"], 2)
    listed = await platform.call("GET", "/api/courses/algebra/enrollments", platform.admin)
    assert data(listed) == {"course_id": "algebra", "students": ["s-1", "s-2"]}


async def test_enrollments_are_added_removed_and_listed(platform: Platform) -> None:
    path = "/api/courses/algebra/enrollments"
    await platform.call("PUT", "/api/courses/algebra", platform.admin, json={"title": "Algebra"})
    await platform.call("PUT", path, platform.admin, json={"students": ["a", "b"]})

    added = await platform.call("POST", path, platform.admin, json={"students": ["c", "a"]})
    assert data(added)["students"] == ["a", "b", "c"]
    # Removing someone never enrolled is no error and changes nothing else.
    removed = await platform.call(
        "DELETE", path, platform.admin, json={"students": ["b", "never-enrolled"]}
    )
    assert data(removed)["students"] == ["a", "c"]
    assert data(await platform.call("GET", path, platform.admin))["students"] == ["a", "c"]
    course = data(await platform.call("GET", "/api/courses/algebra", platform.admin))
    assert course["student_count"] == 2

    emptied = await platform.call("DELETE", path, platform.admin, json={"students": ["a", "c"]})
    assert data(emptied)["students"] == []
    assert data(await platform.call("GET", path, platform.admin))["students"] == []


async def test_a_removed_student_no_longer_sees_or_joins_the_courses_classes(
    platform: Platform,
) -> None:
    klass = await platform.schedule(title="Fractions")
    leaving, staying = platform.students
    path = f"/api/live-classes/{klass['id']}"
    for student in (leaving, staying):
        assert (await platform.call("GET", path, student)).status_code == 200

    removed = await platform.call(
        "DELETE",
        f"/api/courses/{platform.course_id}/enrollments",
        platform.admin,
        json={"students": [leaving.user_id]},
    )
    assert data(removed)["students"] == [staying.user_id]

    assert (await platform.call("GET", path, leaving)).status_code == 403
    assert (await platform.call("POST", f"{path}/join", leaving)).status_code == 403
    listing = data(await platform.call("GET", "/api/live-classes", leaving))
    assert [c["id"] for c in listing] == []
    assert (await platform.call("GET", path, staying)).status_code == 200
    staying_list = data(await platform.call("GET", "/api/live-classes", staying))
    assert [c["id"] for c in staying_list] == [klass["id"]]


async def test_reads_of_an_unknown_course_are_404_and_for_admins_only(platform: Platform) -> None:
    for path in ("/api/courses/nope", "/api/courses/nope/enrollments"):
        missing = await platform.call("GET", path, platform.admin)
        assert missing.status_code == 404, missing.text
        assert missing.json()["error"]["code"] == "not_found"
    unknown = await platform.call(
        "DELETE", "/api/courses/nope/enrollments", platform.admin, json={"students": ["a"]}
    )
    assert unknown.status_code == 404, unknown.text
    for who in (platform.mentor, platform.students[0]):
        for path in (
            f"/api/courses/{platform.course_id}",
            f"/api/courses/{platform.course_id}/enrollments",
        ):
            refused = await platform.call("GET", path, who)
            assert refused.status_code == 403, (who.user_id, path, refused.text)
