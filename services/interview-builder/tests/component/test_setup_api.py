"""The setup chat over HTTP: multi-turn conversations, ownership, expiry and confirmation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx

from interview_builder.repository import SETUPS, MongoSetupRepository
from interview_builder.testing import InMemoryDatabase, MovableClock

ADA, BOB = "user-ada", "user-bob"
Headers = Callable[[str], dict[str, str]]
StartApi = Callable[..., Awaitable[httpx.AsyncClient]]


async def chat(
    api: httpx.AsyncClient, headers: dict[str, str], *messages: str
) -> tuple[str, list[dict]]:
    """Start a setup and send `messages`; returns the setup id and every reply body."""
    started = await api.post("/setup", headers=headers)
    assert started.status_code == 201, started.text
    setup_id = started.json()["setup_id"]
    replies = [started.json()]
    for text in messages:
        response = await api.post(
            f"/setup/{setup_id}/messages", json={"text": text}, headers=headers
        )
        assert response.status_code == 200, response.text
        replies.append(response.json())
    return setup_id, replies


async def test_every_setup_route_needs_a_token(api: httpx.AsyncClient) -> None:
    assert (await api.post("/setup")).status_code == 401
    assert (await api.post("/setup/x/messages", json={"text": "hi"})).status_code == 401
    assert (await api.post("/setup/x/confirm")).status_code == 401


async def test_step_by_step_chat_asks_for_each_slot_then_creates_the_interview(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    setup_id, replies = await chat(
        api, as_user(ADA), "backend please", "senior", "technical", "python and kafka", "yes"
    )

    start, role, level, kind, stack, yes = replies
    assert start["missing"] == ["role", "level", "interview_type", "tech_stack"]
    assert "frontend, backend or fullstack" in start["reply"]
    assert role["slots"]["role"] == "backend"
    assert role["asking"] == "level"
    assert level["slots"]["level"] == "senior"
    assert kind["slots"]["interview_type"] == "technical"
    assert kind["missing"] == ["tech_stack"]
    assert stack["missing"] == []
    assert stack["asking"] == "confirmation"
    assert "5 questions on python and kafka" in stack["reply"]
    assert yes["done"] is True

    confirmed = await api.post(f"/setup/{setup_id}/confirm", headers=as_user(ADA))
    assert confirmed.status_code == 201, confirmed.text
    interview = confirmed.json()
    assert interview["source"] == "setup_chat"
    assert (interview["role"], interview["level"], interview["interview_type"]) == (
        "backend",
        "senior",
        "technical",
    )
    assert interview["tech_stack"] == ["python", "kafka"]
    assert interview["question_count"] == len(interview["questions"]) == 5
    assert interview["parent_interview_id"] is None

    fetched = await api.get(f"/interviews/{interview['id']}", headers=as_user(ADA))
    assert fetched.json() == interview


async def test_one_sentence_setup_with_a_correction_then_a_count(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    started = await api.post(
        "/setup",
        json={"text": "mid level frontend, mixed interview on react and typescript"},
        headers=as_user(ADA),
    )
    assert started.status_code == 201
    first = started.json()
    assert first["missing"] == []
    assert first["slots"]["tech_stack"] == ["react", "typescript"]
    setup_id = first["setup_id"]

    corrected = await api.post(
        f"/setup/{setup_id}/messages",
        json={"text": "actually make it senior, and 6 questions"},
        headers=as_user(ADA),
    )
    body = corrected.json()
    assert body["slots"]["level"] == "senior"
    assert body["slots"]["question_count"] == 6
    assert "3 behavioral, 3 technical" in body["reply"]

    interview = (await api.post(f"/setup/{setup_id}/confirm", headers=as_user(ADA))).json()
    kinds = [question["kind"] for question in interview["questions"]]
    assert kinds == ["behavioral", "technical"] * 3
    assert interview["level"] == "senior"


async def test_unknown_technology_in_chat_gets_close_matches(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    _, replies = await chat(api, as_user(ADA), "senior backend technical", "kubernets")

    problem = replies[-1]["problems"][0]
    assert problem["slot"] == "tech_stack"
    assert problem["suggestions"] == ["kubernetes"]
    assert "did you mean kubernetes" in replies[-1]["reply"]
    assert "tech_stack" in replies[-1]["missing"]


async def test_confirming_an_unfinished_setup_names_what_is_missing(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    setup_id, _ = await chat(api, as_user(ADA), "frontend")

    response = await api.post(f"/setup/{setup_id}/confirm", headers=as_user(ADA))

    assert response.status_code == 422
    locs = [problem["loc"] for problem in response.json()["detail"]]
    assert locs == [["setup", "level"], ["setup", "interview_type"], ["setup", "tech_stack"]]


async def test_confirming_twice_returns_the_same_interview(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    setup_id, _ = await chat(
        api, as_user(ADA), "junior fullstack behavioral interview, 3 questions"
    )

    first = await api.post(f"/setup/{setup_id}/confirm", headers=as_user(ADA))
    again = await api.post(f"/setup/{setup_id}/confirm", headers=as_user(ADA))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    listed = (await api.get("/interviews", headers=as_user(ADA))).json()["items"]
    assert [item["id"] for item in listed] == [first.json()["id"]]

    late = await api.post(
        f"/setup/{setup_id}/messages", json={"text": "make it 4"}, headers=as_user(ADA)
    )
    assert late.status_code == 409
    assert first.json()["id"] in late.json()["detail"]


async def test_someone_elses_setup_is_not_found(api: httpx.AsyncClient, as_user: Headers) -> None:
    setup_id, _ = await chat(api, as_user(ADA), "senior backend behavioral")

    message = await api.post(
        f"/setup/{setup_id}/messages", json={"text": "yes"}, headers=as_user(BOB)
    )
    confirm = await api.post(f"/setup/{setup_id}/confirm", headers=as_user(BOB))

    assert (message.status_code, confirm.status_code) == (404, 404)
    mine = await api.post(f"/setup/{setup_id}/confirm", headers=as_user(ADA))
    assert mine.status_code == 201


async def test_a_setup_untouched_past_its_lifetime_expires(
    api: httpx.AsyncClient, as_user: Headers, clock: MovableClock
) -> None:
    setup_id, _ = await chat(api, as_user(ADA), "backend")

    clock.advance(timedelta(minutes=29))
    kept = await api.post(f"/setup/{setup_id}/messages", json={"text": "mid"}, headers=as_user(ADA))
    assert kept.status_code == 200
    clock.advance(timedelta(minutes=29))  # 58 minutes old, but touched 29 minutes ago
    still = await api.post(
        f"/setup/{setup_id}/messages", json={"text": "behavioral"}, headers=as_user(ADA)
    )
    assert still.status_code == 200

    clock.advance(timedelta(minutes=31))
    gone = await api.post(f"/setup/{setup_id}/messages", json={"text": "yes"}, headers=as_user(ADA))
    assert gone.status_code == 404
    assert "expire after 30 minutes" in gone.json()["detail"]


async def test_expired_setups_are_deleted_from_the_store(
    start_api: StartApi, database: InMemoryDatabase, clock: MovableClock, as_user: Headers
) -> None:
    repository = MongoSetupRepository(database[SETUPS])
    api = await start_api()
    await chat(api, as_user(ADA), "backend")
    clock.advance(timedelta(minutes=20))
    await chat(api, as_user(BOB), "frontend")
    clock.advance(timedelta(minutes=15))

    assert await repository.forget_untouched_since(clock() - timedelta(minutes=30)) == 1
    assert [doc["user_id"] for doc in database[SETUPS].documents] == [BOB]


async def test_message_text_limits_are_named(api: httpx.AsyncClient, as_user: Headers) -> None:
    setup_id, _ = await chat(api, as_user(ADA))

    for text in ("   ", "x" * 1001):
        response = await api.post(
            f"/setup/{setup_id}/messages", json={"text": text}, headers=as_user(ADA)
        )
        assert response.status_code == 422
        problem = response.json()["detail"][0]
        assert problem["loc"] == ["body", "text"]
        assert problem["msg"] == "text must hold between 1 and 1000 characters"


async def test_a_chat_stops_accepting_messages_at_its_limit(
    api: httpx.AsyncClient, as_user: Headers
) -> None:
    setup_id, _ = await chat(api, as_user(ADA), *["hmm"] * 12)

    response = await api.post(
        f"/setup/{setup_id}/messages", json={"text": "backend"}, headers=as_user(ADA)
    )

    assert response.status_code == 409
    assert "limit of 12 messages" in response.json()["detail"]


async def test_a_chat_resumes_after_the_service_restarts(
    start_api: StartApi, as_user: Headers
) -> None:
    first = await start_api()
    setup_id, _ = await chat(first, as_user(ADA), "senior backend", "technical")

    second = await start_api()
    reply = await second.post(
        f"/setup/{setup_id}/messages", json={"text": "go and redis"}, headers=as_user(ADA)
    )

    body = reply.json()
    assert body["slots"]["role"] == "backend"
    assert body["slots"]["tech_stack"] == ["go", "redis"]
    assert body["asking"] == "confirmation"
