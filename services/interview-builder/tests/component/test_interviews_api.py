"""The interview API: direct creation, validation, listing, reading, retakes and deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from common.events import InterviewCreated
from common.mongo import OutboxRelay
from common.testing.outbox import FakePublisher
from interview_builder.repository import INTERVIEWS
from interview_builder.testing import InMemoryDatabase, MovableClock

ADA, BOB = "user-ada", "user-bob"
Headers = Callable[[str], dict[str, str]]

BACKEND = {"role": "backend", "interview_type": "technical", "level": "senior"}


async def create(api: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await api.post("/interviews", json={**BACKEND, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def question_ids(interview: dict[str, Any]) -> list[str]:
    return [question["question_id"] for question in interview["questions"]]


async def test_every_interview_route_needs_a_token(api: httpx.AsyncClient) -> None:
    assert (await api.post("/interviews", json=BACKEND)).status_code == 401
    assert (await api.get("/interviews")).status_code == 401
    assert (await api.get("/interviews/x")).status_code == 401
    assert (await api.post("/interviews/x/retake")).status_code == 401
    assert (await api.delete("/interviews/x")).status_code == 401


async def test_direct_creation_returns_the_interview_and_stores_its_event(
    api: httpx.AsyncClient, as_user: Headers, database: InMemoryDatabase
) -> None:
    interview = await create(
        api, as_user(ADA), question_count=4, tech_stack=["Postgres", "k8s", "postgresql"]
    )

    assert interview["source"] == "api"
    assert interview["tech_stack"] == ["postgresql", "kubernetes"]
    assert interview["question_count"] == 4
    assert all(question["key_points"] for question in interview["questions"])

    publisher = FakePublisher()
    await OutboxRelay([database[INTERVIEWS]], publisher).run_once()
    [record] = publisher.published
    event = InterviewCreated.model_validate(record.value)
    assert record.key == ADA
    assert event.data.id == interview["id"]
    assert event.data.user_id == ADA
    assert event.data.source == "api"
    assert [q.question_id for q in event.data.questions] == question_ids(interview)
    # Published once: the relay removed it from the outbox.
    await OutboxRelay([database[INTERVIEWS]], publisher).run_once()
    assert len(publisher.published) == 1


async def test_without_a_count_every_technology_still_gets_a_question(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    stack = ["python", "go", "rust", "kafka", "redis", "docker", "aws"]
    interview = await create(api, as_user(ADA), tech_stack=stack)

    assert interview["question_count"] == 7
    default = await create(api, as_user(ADA), tech_stack=["python"])
    assert default["question_count"] == 5


@pytest.mark.parametrize("count", [0, 21, -3])
async def test_question_count_outside_1_to_20_is_refused(
    api: httpx.AsyncClient, as_user: Headers, count: int
) -> None:
    response = await api.post(
        "/interviews", json={**BACKEND, "question_count": count}, headers=as_user(ADA)
    )

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "question_count"]
    assert problem["msg"] == "question_count must be between 1 and 20"


async def test_unknown_technology_lists_close_matches(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    response = await api.post(
        "/interviews",
        json={**BACKEND, "tech_stack": ["python", "kubernets", "elixir"]},
        headers=as_user(ADA),
    )

    assert response.status_code == 422
    typo, unknown = response.json()["detail"]
    assert typo["loc"] == ["body", "tech_stack", 1]
    assert "did you mean kubernetes" in typo["msg"]
    assert typo["ctx"]["suggestions"] == ["kubernetes"]
    assert unknown["loc"] == ["body", "tech_stack", 2]
    assert unknown["ctx"]["suggestions"] == []
    assert "known technologies are" in unknown["msg"]
    assert "python" in unknown["msg"]


async def test_too_few_questions_for_the_stack_says_how_many_fit(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    response = await api.post(
        "/interviews",
        json={**BACKEND, "question_count": 2, "tech_stack": ["python", "go", "kafka"]},
        headers=as_user(ADA),
    )

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "question_count"]
    assert problem["msg"] == (
        "question_count must be at least 3 for a technical interview on 3 technologies "
        "(one technical question each)"
    )
    assert problem["ctx"]["suggestions"] == ["3"]


async def test_unknown_fields_and_values_are_named(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    response = await api.post(
        "/interviews",
        json={"role": "designer", "interview_type": "technical", "level": "senior", "x": 1},
        headers=as_user(ADA),
    )

    assert response.status_code == 422
    locs = sorted(tuple(problem["loc"]) for problem in response.json()["detail"])
    assert locs == [("body", "role"), ("body", "x")]


async def test_list_pages_newest_first(
    api: httpx.AsyncClient, as_user: Headers, clock: MovableClock
) -> None:
    created = []
    for _ in range(5):
        created.append((await create(api, as_user(ADA), question_count=1))["id"])
        clock.advance(timedelta(minutes=1))

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/interviews", params=params, headers=as_user(ADA))).json()
        seen += [item["id"] for item in page["items"]]
        assert all("questions" not in item for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(created))


@pytest.mark.parametrize("limit", [0, 101])
async def test_page_size_outside_1_to_100_is_refused(
    api: httpx.AsyncClient, as_user: Headers, limit: int
) -> None:
    response = await api.get("/interviews", params={"limit": limit}, headers=as_user(ADA))

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "limit"]
    assert problem["msg"] == "limit must be between 1 and 100"


async def test_a_tampered_cursor_is_refused(api: httpx.AsyncClient, as_user: Headers) -> None:
    response = await api.get("/interviews", params={"cursor": "bm9wZQ"}, headers=as_user(ADA))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_list_filters_by_role_type_and_technology(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    python = await create(api, as_user(ADA), tech_stack=["python"])
    go = await create(api, as_user(ADA), tech_stack=["go"])
    mixed = await create(
        api, as_user(ADA), role="frontend", interview_type="mixed", tech_stack=["react"]
    )

    async def ids(**params: str) -> list[str]:
        page = await api.get("/interviews", params=params, headers=as_user(ADA))
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    assert await ids(role="frontend") == [mixed["id"]]
    assert set(await ids(interview_type="technical")) == {python["id"], go["id"]}
    assert await ids(tech="golang") == [go["id"]]
    assert await ids(tech="python", role="backend") == [python["id"]]

    unknown = await api.get("/interviews", params={"tech": "pyton"}, headers=as_user(ADA))
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["query", "tech"]
    assert unknown.json()["detail"][0]["ctx"]["suggestions"] == ["python"]


async def test_someone_elses_interview_is_not_found_anywhere(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    mine = await create(api, as_user(ADA))
    path = f"/interviews/{mine['id']}"

    assert (await api.get(path, headers=as_user(BOB))).status_code == 404
    assert (await api.post(f"{path}/retake", headers=as_user(BOB))).status_code == 404
    assert (await api.delete(path, headers=as_user(BOB))).status_code == 404
    assert (await api.get("/interviews", headers=as_user(BOB))).json()["items"] == []
    assert (await api.get(path, headers=as_user(ADA))).status_code == 200


async def test_new_interviews_avoid_the_last_interviews_questions(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    first = await create(api, as_user(ADA), question_count=4, tech_stack=["python"])
    second = await create(api, as_user(ADA), question_count=4, tech_stack=["python"])
    third = await create(api, as_user(ADA), question_count=4, tech_stack=["python"])

    assert not set(question_ids(first)) & set(question_ids(second))
    assert not set(question_ids(third)) & (set(question_ids(first)) | set(question_ids(second)))
    # Another user's history does not narrow Bob's choice.
    bobs = await create(api, as_user(BOB), question_count=4, tech_stack=["python"])
    assert bobs["questions"]


async def test_retake_with_the_same_questions_copies_them(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    parent = await create(api, as_user(ADA), question_count=3, tech_stack=["go"])

    response = await api.post(f"/interviews/{parent['id']}/retake", headers=as_user(ADA))

    assert response.status_code == 201
    retake = response.json()
    assert retake["id"] != parent["id"]
    assert retake["source"] == "retake"
    assert retake["parent_interview_id"] == parent["id"]
    assert retake["questions"] == parent["questions"]
    assert retake["tech_stack"] == ["go"]


async def test_retake_with_new_questions_avoids_the_parents(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    parent = await create(api, as_user(ADA), question_count=5, tech_stack=["python"])

    response = await api.post(
        f"/interviews/{parent['id']}/retake",
        json={"questions": "new", "level": "mid", "question_count": 6},
        headers=as_user(ADA),
    )

    assert response.status_code == 201
    retake = response.json()
    assert retake["parent_interview_id"] == parent["id"]
    assert (retake["level"], retake["question_count"], retake["role"]) == ("mid", 6, "backend")
    assert not set(question_ids(retake)) & set(question_ids(parent))


async def test_retake_overrides_need_new_questions(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    parent = await create(api, as_user(ADA))

    response = await api.post(
        f"/interviews/{parent['id']}/retake",
        json={"questions": "same", "level": "junior"},
        headers=as_user(ADA),
    )
    too_many = await api.post(
        f"/interviews/{parent['id']}/retake",
        json={"questions": "new", "question_count": 25},
        headers=as_user(ADA),
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "questions"]
    assert "level" in response.json()["detail"][0]["msg"]
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["msg"] == "question_count must be between 1 and 20"


async def test_deleted_interviews_disappear_for_their_owner(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    kept = await create(api, as_user(ADA))
    deleted = await create(api, as_user(ADA))

    response = await api.delete(f"/interviews/{deleted['id']}", headers=as_user(ADA))

    assert response.status_code == 204
    assert (await api.get(f"/interviews/{deleted['id']}", headers=as_user(ADA))).status_code == 404
    listed = (await api.get("/interviews", headers=as_user(ADA))).json()["items"]
    assert [item["id"] for item in listed] == [kept["id"]]
    again = await api.delete(f"/interviews/{deleted['id']}", headers=as_user(ADA))
    assert again.status_code == 404
    retake = await api.post(f"/interviews/{deleted['id']}/retake", headers=as_user(ADA))
    assert retake.status_code == 404
