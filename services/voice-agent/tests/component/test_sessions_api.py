"""The sessions API over HTTP, with fake stores, fake LiveKit and a fake Keycloak realm."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pymongo.errors import ServerSelectionTimeoutError

from common.events import Interview, SessionCompleted, Turn
from common.observability import DATABASE_RETRY_AFTER_S, DATABASE_UNAVAILABLE
from common.testing.identity import FakeIdentityProvider
from common.testing.mongo import InMemoryCollection
from voice_agent.app import create_app
from voice_agent.metrics import VoiceAgentMetrics
from voice_agent.repository import MongoInterviewStore, MongoSessionStore
from voice_agent.settings import VoiceAgentSettings
from voice_agent.testing import FakeRooms, ManualClock

PUBLIC_URL = "wss://voice.mocksy.test"


@pytest.fixture
def realm() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
def metrics() -> VoiceAgentMetrics:
    return VoiceAgentMetrics()


@pytest.fixture
async def api(
    realm: FakeIdentityProvider,
    sessions: MongoSessionStore,
    interviews: MongoInterviewStore,
    rooms: FakeRooms,
    clock: ManualClock,
    metrics: VoiceAgentMetrics,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = VoiceAgentSettings.model_validate(
        {
            "livekit_url": "ws://livekit.internal:7880",
            "livekit_public_url": PUBLIC_URL,
            "livekit_api_key": "test-key",
            "livekit_api_secret": "test-secret-of-at-least-32-characters",
            "sweep_interval_s": 0,
        }
    )
    app = create_app(
        settings,
        validator=realm.validator(),
        sessions=sessions,
        interviews=interviews,
        rooms=rooms,
        clock=clock,
        metrics=metrics,
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://voice") as client:
            yield client


def completed_events(sessions: MongoSessionStore) -> list[SessionCompleted]:
    """The SessionCompleted events waiting in the outbox for the relay."""
    events = []
    for collection in sessions.outbox_collections:
        assert isinstance(collection, InMemoryCollection)
        events += [
            SessionCompleted.model_validate(entry["value"])
            for document in collection.documents
            for entry in document.get("outbox", [])
        ]
    return events


def as_user(realm: FakeIdentityProvider, user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {realm.token(sub=user_id)}"}


@pytest.fixture
def ada(realm: FakeIdentityProvider, interview: Interview) -> dict[str, str]:
    return as_user(realm, interview.user_id)


@pytest.fixture
def eve(realm: FakeIdentityProvider, strangers_interview: Interview) -> dict[str, str]:
    return as_user(realm, strangers_interview.user_id)


async def test_a_candidate_starts_a_session_and_gets_a_room_to_join(
    api: httpx.AsyncClient, ada: dict[str, str], interview: Interview, rooms: FakeRooms
) -> None:
    response = await api.post(f"/interviews/{interview.id}/sessions", headers=ada)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["livekit_url"] == PUBLIC_URL
    assert body["room"] == f"mocksy-{body['session_id']}"
    assert body["token"] == f"token-1:{interview.user_id}@{body['room']}"
    assert [d.session_id for d in rooms.dispatches] == [body["session_id"]]


async def test_the_session_shows_its_state_current_question_and_turns(
    api: httpx.AsyncClient, ada: dict[str, str], interview: Interview, sessions: MongoSessionStore
) -> None:
    session_id = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()[
        "session_id"
    ]
    question = Turn(
        speaker="interviewer",
        text=interview.questions[1].text,
        start_ms=0,
        end_ms=3_000,
        question_id="q-conflict",
        kind="question",
        style="neutral",
    )
    await sessions.append_turn(session_id, question, "q-conflict", index=0)

    response = await api.get(f"/sessions/{session_id}", headers=ada)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "created"
    assert body["interview_id"] == interview.id
    assert body["question_count"] == 2
    assert body["current_question"] == {
        "question_id": "q-conflict",
        "number": 2,
        "text": interview.questions[1].text,
        "kind": "behavioral",
        "topic": "teamwork",
    }
    assert "key_points" not in body["current_question"]
    assert [Turn.model_validate(t) for t in body["turns"]] == [question]


async def test_other_peoples_interviews_and_sessions_are_not_found(
    api: httpx.AsyncClient,
    ada: dict[str, str],
    eve: dict[str, str],
    interview: Interview,
    strangers_interview: Interview,
) -> None:
    theirs = await api.post(f"/interviews/{strangers_interview.id}/sessions", headers=ada)
    assert theirs.status_code == 404
    assert "may still be on its way" in theirs.json()["detail"]

    session_id = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()[
        "session_id"
    ]
    for response in (
        await api.get(f"/sessions/{session_id}", headers=eve),
        await api.post(f"/sessions/{session_id}/resume", headers=eve),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"session '{session_id}' not found"}


async def test_sessions_need_a_valid_token(api: httpx.AsyncClient, interview: Interview) -> None:
    anonymous = await api.post(f"/interviews/{interview.id}/sessions")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"


async def test_resume_hands_out_a_new_token_and_an_ended_session_is_a_conflict(
    api: httpx.AsyncClient,
    ada: dict[str, str],
    interview: Interview,
    sessions: MongoSessionStore,
    rooms: FakeRooms,
    clock: ManualClock,
) -> None:
    started = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()

    resumed = await api.post(f"/sessions/{started['session_id']}/resume", headers=ada)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["room"] == started["room"]
    assert resumed.json()["token"] != started["token"]
    assert len(rooms.dispatches) == 2  # nobody was in the room to continue the interview

    await sessions.finish(started["session_id"], "completed", clock())
    ended = await api.post(f"/sessions/{started['session_id']}/resume", headers=ada)
    assert ended.status_code == 409
    assert "already ended (completed)" in ended.json()["detail"]


async def test_livekit_down_is_a_503_that_says_so(
    api: httpx.AsyncClient, ada: dict[str, str], interview: Interview, rooms: FakeRooms
) -> None:
    rooms.reachable = False

    response = await api.post(f"/interviews/{interview.id}/sessions", headers=ada)

    assert response.status_code == 503
    assert "LiveKit server could not be reached" in response.json()["detail"]
    assert response.headers["Retry-After"] == "10"


async def test_mongo_down_is_the_shared_503_with_retry_after(
    api: httpx.AsyncClient, ada: dict[str, str], interview: Interview, sessions: MongoSessionStore
) -> None:
    collection = sessions.collection
    assert isinstance(collection, InMemoryCollection)
    collection.fail_with = ServerSelectionTimeoutError("no servers found")

    response = await api.get("/sessions/anything", headers=ada)

    # The same answer every Mocksy API gives when its database is down (common.observability).
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_S)


async def test_an_overlong_id_is_refused_naming_the_field_and_limit(
    api: httpx.AsyncClient, ada: dict[str, str]
) -> None:
    response = await api.get(f"/sessions/{'x' * 65}", headers=ada)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["path", "session_id"]
    assert "at most 64 characters" in error["msg"]


async def test_started_sessions_are_counted_in_metrics(
    api: httpx.AsyncClient, ada: dict[str, str], interview: Interview
) -> None:
    await api.post(f"/interviews/{interview.id}/sessions", headers=ada)

    metrics = (await api.get("/metrics")).text

    assert "mocksy_voice_agent_sessions_started_total 1.0" in metrics


async def test_ending_a_session_early_scores_the_answers_so_far_and_closes_the_room(
    api: httpx.AsyncClient,
    ada: dict[str, str],
    interview: Interview,
    sessions: MongoSessionStore,
    rooms: FakeRooms,
) -> None:
    started = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()
    session_id = started["session_id"]
    asked = Turn(
        speaker="interviewer",
        text=interview.questions[0].text,
        start_ms=0,
        end_ms=3_000,
        question_id="q-dupes",
        kind="question",
    )
    answered = Turn(
        speaker="candidate",
        text="I would put every value in a hash set and report the ones already seen.",
        start_ms=4_000,
        end_ms=9_000,
        question_id="q-dupes",
        kind="answer",
    )
    await sessions.append_turn(session_id, asked, "q-dupes", index=0)
    await sessions.append_turn(session_id, answered, "q-dupes", index=1)

    response = await api.post(f"/sessions/{session_id}/end", headers=ada)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "ended_early"
    assert body["ended_at"] is not None
    assert started["room"] in rooms.closed
    (event,) = completed_events(sessions)
    assert event.data.session_id == session_id
    assert event.data.outcome == "ended_early"
    assert event.data.turns == [asked, answered]
    # No turn can join the transcript that was announced.
    resumed = await api.post(f"/sessions/{session_id}/resume", headers=ada)
    assert resumed.status_code == 409


async def test_ending_twice_answers_the_same_and_announces_once(
    api: httpx.AsyncClient, ada: dict[str, str], interview: Interview, sessions: MongoSessionStore
) -> None:
    session_id = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()[
        "session_id"
    ]

    first = await api.post(f"/sessions/{session_id}/end", headers=ada)
    again = await api.post(f"/sessions/{session_id}/end", headers=ada)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert len(completed_events(sessions)) == 1


async def test_ending_an_interview_that_already_finished_keeps_its_outcome(
    api: httpx.AsyncClient,
    ada: dict[str, str],
    interview: Interview,
    sessions: MongoSessionStore,
    clock: ManualClock,
) -> None:
    session_id = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()[
        "session_id"
    ]
    await sessions.finish(session_id, "completed", clock())

    response = await api.post(f"/sessions/{session_id}/end", headers=ada)

    assert response.status_code == 200
    assert response.json()["state"] == "completed"
    assert [e.data.outcome for e in completed_events(sessions)] == ["completed"]


async def test_only_the_candidate_can_end_their_session(
    api: httpx.AsyncClient,
    ada: dict[str, str],
    eve: dict[str, str],
    interview: Interview,
    sessions: MongoSessionStore,
    rooms: FakeRooms,
) -> None:
    session_id = (await api.post(f"/interviews/{interview.id}/sessions", headers=ada)).json()[
        "session_id"
    ]

    theirs = await api.post(f"/sessions/{session_id}/end", headers=eve)
    anonymous = await api.post(f"/sessions/{session_id}/end")

    assert theirs.status_code == 404
    assert theirs.json() == {"detail": f"session '{session_id}' not found"}
    assert anonymous.status_code == 401
    assert (await api.get(f"/sessions/{session_id}", headers=ada)).json()["state"] == "created"
    assert completed_events(sessions) == []
    assert rooms.closed == []
