"""GET /feedback/{session_id} for the session's owner, over in-memory storage and real JWTs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.events import CATEGORIES, Feedback, SessionCompleted
from common.testing.identity import FakeIdentityProvider
from common.testing.mongo import InMemoryCollection
from scoring.app import create_app
from scoring.repository import MongoFeedbackRepository
from scoring.service import ScoringService
from scoring.settings import ScoringSettings
from services.scoring.tests.conftest import InterviewKit

ADA, BOB = "user-ada", "user-bob"


@dataclass
class Api:
    http: httpx.AsyncClient
    service: ScoringService
    realm: FakeIdentityProvider

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.realm.token(sub=user)}"}

    async def complete(self, kit: InterviewKit, session_id: str, user: str = ADA) -> None:
        transcript = kit.answered(session_id=session_id).build()
        transcript = transcript.model_copy(update={"user_id": user})
        await self.service.session_completed(SessionCompleted(data=transcript))


async def running(
    settings: ScoringSettings, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, ScoringService]]:
    repository = MongoFeedbackRepository(InMemoryCollection("feedback"))
    app = create_app(settings, repository=repository, **overrides)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://scoring") as http:
            yield http, app.state.scoring


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    realm = FakeIdentityProvider()
    settings = ScoringSettings(consume_events=False)
    async for http, service in running(settings, validator=realm.validator()):
        yield Api(http, service, realm)


async def test_the_owner_reads_the_feedback_on_their_session(api: Api, kit: InterviewKit) -> None:
    await api.complete(kit, "sess-ada-1")

    response = await api.http.get("/feedback/sess-ada-1", headers=api.headers(ADA))

    assert response.status_code == 200, response.text
    feedback = Feedback.model_validate(response.json())
    assert (feedback.session_id, feedback.user_id, feedback.gradable) == ("sess-ada-1", ADA, True)
    assert set(feedback.categories) == set(CATEGORIES)
    assert all(c.evidence for c in feedback.categories.values())


async def test_another_users_session_is_reported_as_not_found(api: Api, kit: InterviewKit) -> None:
    await api.complete(kit, "sess-ada-2")

    theirs = await api.http.get("/feedback/sess-ada-2", headers=api.headers(BOB))
    unknown = await api.http.get("/feedback/sess-nobody", headers=api.headers(BOB))

    assert theirs.status_code == unknown.status_code == 404
    # Nothing tells Bob that Ada's session exists.
    assert theirs.json()["detail"].replace("sess-ada-2", "X") == unknown.json()["detail"].replace(
        "sess-nobody", "X"
    )


async def test_a_session_not_scored_yet_is_404_saying_to_retry(api: Api) -> None:
    response = await api.http.get("/feedback/sess-just-ended", headers=api.headers(ADA))

    assert response.status_code == 404
    assert "still being scored" in response.json()["detail"]
    assert response.headers["Retry-After"] == "5"


async def test_feedback_needs_a_valid_token(api: Api, kit: InterviewKit) -> None:
    await api.complete(kit, "sess-ada-3")

    missing = await api.http.get("/feedback/sess-ada-3")
    forged = await api.http.get(
        "/feedback/sess-ada-3",
        headers={"Authorization": f"Bearer {api.realm.other_realm_token(sub=ADA)}"},
    )

    assert missing.status_code == forged.status_code == 401


async def test_the_report_is_markdown_naming_the_questions(api: Api, kit: InterviewKit) -> None:
    await api.complete(kit, "sess-ada-4")

    response = await api.http.get("/feedback/sess-ada-4/report", headers=api.headers(ADA))
    other = await api.http.get("/feedback/sess-ada-4/report", headers=api.headers(BOB))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert "(database indexing)" in response.text
    assert other.status_code == 404


async def test_an_overlong_session_id_is_refused_naming_the_limit(api: Api) -> None:
    response = await api.http.get("/feedback/" + "s" * 65, headers=api.headers(ADA))

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["path", "session_id"]
    assert "64 characters" in problem["msg"]


async def test_the_llm_judge_configured_by_settings_scores_and_is_counted(
    kit: InterviewKit,
) -> None:
    def down(_: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "model loading"})

    realm = FakeIdentityProvider()
    settings = ScoringSettings(
        consume_events=False,
        judge="blend",
        llm_base_url="http://llm.test",
        llm_model="tiny",
    )
    async for http, service in running(
        settings, validator=realm.validator(), llm_transport=httpx.MockTransport(down)
    ):
        transcript = kit.answered(session_id="sess-llm").build()
        await service.session_completed(SessionCompleted(data=transcript))
        headers = {"Authorization": f"Bearer {realm.token(sub=transcript.user_id)}"}

        feedback = (await http.get("/feedback/sess-llm", headers=headers)).json()
        metrics = (await http.get("/metrics")).text

    assert feedback["scorer"]["engine"] == "offline-rubric"
    assert "LLM judge could not be used" in feedback["warnings"][-1]
    assert 'mocksy_scoring_judge_fallbacks_total{reason="http_error"} 1.0' in metrics
    assert 'mocksy_scoring_feedback_total{engine="offline-rubric",gradable="true"} 1.0' in metrics
    assert "mocksy_scoring_scoring_duration_seconds_bucket" in metrics
