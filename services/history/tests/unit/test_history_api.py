"""The history API over the real repository and in-memory collections, with real JWTs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.testing.identity import FakeIdentityProvider
from history.app import create_app
from history.repository import MongoHistoryRepository
from history.service import HistoryProjector
from history.settings import HistorySettings
from history.testing import EPOCH, Attempt, feedback_ready, interview_created, session_completed

ADA, BOB = "user-ada", "user-bob"


@pytest.fixture
def realm() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
async def client(
    realm: FakeIdentityProvider, repository: MongoHistoryRepository
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        HistorySettings(consume_events=False), validator=realm.validator(), repository=repository
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://history") as http:
            yield http


def auth(realm: FakeIdentityProvider, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {realm.token(sub=user)}"}


async def seed(projector: HistoryProjector, user: str, scores: list[int | None]) -> None:
    """One interview per score, one attempt each, a day apart."""
    for day, score in enumerate(scores, start=1):
        interview_id = f"{user}-i{day}"
        at = EPOCH + timedelta(days=day)
        role = "backend" if day % 2 else "frontend"
        await projector.interview_created(interview_created(user, interview_id, at=at, role=role))
        attempt = Attempt(
            f"{user}-s{day}",
            interview_id,
            at + timedelta(hours=1),
            score,
            role=role,
            fillers_per_100=6.0 - day,
            categories={"communication": 50} if score else {},
        )
        await projector.session_completed(session_completed(user, attempt))
        await projector.feedback_ready(feedback_ready(user, attempt))


async def test_every_route_needs_a_token(client: httpx.AsyncClient) -> None:
    for path in ("/history/interviews", "/history/progress", "/history/insights"):
        response = await client.get(path)
        assert response.status_code == 401, path


async def test_interviews_page_through_newest_first_with_scores(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, ADA, [60, 70, 80, 90, None])
    headers = auth(realm, ADA)

    seen: list[tuple[str, int, int | None]] = []
    cursor: str | None = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/history/interviews", params=params, headers=headers)).json()
        seen += [(i["interview_id"], i["attempts"], i["best_score"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [
        ("user-ada-i5", 1, None),
        ("user-ada-i4", 1, 90),
        ("user-ada-i3", 1, 80),
        ("user-ada-i2", 1, 70),
        ("user-ada-i1", 1, 60),
    ]

    frontend = await client.get("/history/interviews", params={"role": "frontend"}, headers=headers)
    assert [i["interview_id"] for i in frontend.json()["items"]] == ["user-ada-i4", "user-ada-i2"]
    item = frontend.json()["items"][0]
    assert (item["role"], item["interview_type"], item["level"]) == ("frontend", "technical", "mid")
    assert item["tech_stack"] == ["react", "typescript"]
    since = await client.get(
        "/history/interviews",
        params={"created_from": "2025-03-05T12:00:00Z"},
        headers=headers,
    )
    assert [i["interview_id"] for i in since.json()["items"]] == ["user-ada-i5"]


@pytest.mark.parametrize("limit", [0, 101])
async def test_a_limit_out_of_range_is_a_422_naming_the_limit(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, limit: int
) -> None:
    for path in ("/history/interviews", "/history/feedback", "/history/interviews/x/attempts"):
        response = await client.get(path, params={"limit": limit}, headers=auth(realm, ADA))
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {
                "loc": ["query", "limit"],
                "msg": "limit must be between 1 and 100",
                "type": "value_error",
            }
        ]


async def test_a_made_up_cursor_is_a_422(
    client: httpx.AsyncClient, realm: FakeIdentityProvider
) -> None:
    response = await client.get(
        "/history/feedback", params={"cursor": "not-a-cursor"}, headers=auth(realm, ADA)
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_another_users_data_is_never_returned(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, BOB, [55, 65])
    ada = auth(realm, ADA)

    assert (await client.get("/history/interviews", headers=ada)).json()["items"] == []
    assert (await client.get("/history/feedback", headers=ada)).json()["items"] == []
    progress = (await client.get("/history/progress", headers=ada)).json()
    assert progress["sessions"] == 0
    for path in (
        "/history/interviews/user-bob-i1/attempts",
        "/history/feedback/user-bob-s1",
        "/history/feedback/user-bob-s1/report",
        "/history/feedback/user-bob-s1/report?format=pdf",
    ):
        response = await client.get(path, headers=ada)
        assert response.status_code == 404, path
        assert "bob" not in response.text.replace("user-bob-s1", "").replace("user-bob-i1", "")
    compared = await client.get(
        "/history/compare", params={"a": "user-bob-s1", "b": "user-bob-s2"}, headers=ada
    )
    assert compared.status_code == 404
    # Bob himself sees all of it.
    own = await client.get("/history/feedback/user-bob-s1", headers=auth(realm, BOB))
    assert own.status_code == 200
    assert own.json()["feedback"]["overall_score"] == 55


async def test_attempts_and_feedback_detail_of_an_interview(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, ADA, [60])
    retake = Attempt("user-ada-s9", "user-ada-i1", EPOCH + timedelta(days=9), 75, role="backend")
    await projector.session_completed(session_completed(ADA, retake))
    headers = auth(realm, ADA)

    page = (await client.get("/history/interviews/user-ada-i1/attempts", headers=headers)).json()
    assert page["interview"]["interview_id"] == "user-ada-i1"
    assert [(a["session_id"], a["status"], a["overall_score"]) for a in page["items"]] == [
        ("user-ada-s9", "awaiting_feedback", None),
        ("user-ada-s1", "graded", 60),
    ]
    pending = await client.get("/history/feedback/user-ada-s9", headers=headers)
    assert pending.status_code == 404
    assert pending.json()["detail"] == "feedback on session user-ada-s9 is not ready yet"

    detail = (await client.get("/history/feedback/user-ada-s1", headers=headers)).json()
    assert detail["session"]["role"] == "backend"
    assert detail["questions"][0]["answer"] == "My answer about react hooks, with an example."
    assert detail["feedback"]["categories"]["communication"]["score"] == 50


async def test_progress_gives_series_moving_average_and_trend(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, ADA, [50, 60, 70, 80, None])
    body = (
        await client.get("/history/progress", params={"window": 2}, headers=auth(realm, ADA))
    ).json()

    overall = body["all"]["overall"]
    assert [p["score"] for p in overall["points"]] == [50, 60, 70, 80]
    assert [p["moving_average"] for p in overall["points"]] == [50, 55, 65, 75]
    assert overall["trend"]["direction"] == "improving"
    assert overall["trend"]["slope_per_attempt"] == 10
    assert body["all"]["categories"]["communication"]["trend"]["direction"] == "flat"
    assert [(g["role"], g["sessions"]) for g in body["groups"]] == [("backend", 2), ("frontend", 2)]

    only_backend = (
        await client.get("/history/progress", params={"role": "backend"}, headers=auth(realm, ADA))
    ).json()
    assert [p["score"] for p in only_backend["all"]["overall"]["points"]] == [50, 70]
    last_two = (
        await client.get("/history/progress", params={"last": 2}, headers=auth(realm, ADA))
    ).json()
    assert [p["score"] for p in last_two["all"]["overall"]["points"]] == [70, 80]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"window": 0}, "window", "window must be between 1 and 20"),
        ({"last": 1001}, "last", "last must be between 1 and 1000"),
        ({"since": "2025-03-01T00:00:00"}, "since", "since needs a timezone"),
    ],
)
async def test_progress_refuses_out_of_range_parameters(
    client: httpx.AsyncClient,
    realm: FakeIdentityProvider,
    params: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = await client.get("/history/progress", params=params, headers=auth(realm, ADA))
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["query", field]
    assert problem["msg"].startswith(message)


async def test_insights_name_their_sessions(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, ADA, [62, 66, 70, 74])
    body = (await client.get("/history/insights", headers=auth(realm, ADA))).json()

    found = {(i["kind"], i["subject"]): i for i in body["insights"]}
    weak = found[("recurring_weak_category", "communication")]
    assert (weak["weak_in"], weak["out_of"]) == (4, 4)
    assert weak["sessions"] == [f"user-ada-s{d}" for d in range(1, 5)]
    fillers = found[("speech_trend", "filler_words_per_100")]
    assert (fillers["direction"], fillers["desirable"]) == ("down", True)
    assert found[("improved_since_first", "overall")]["sessions"] == ["user-ada-s1", "user-ada-s4"]

    too_many = await client.get(
        "/history/insights", params={"k": 6, "n": 5}, headers=auth(realm, ADA)
    )
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["msg"] == "k must be between 1 and 5"


async def test_compare_two_attempts_question_by_question(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, ADA, [60, 72])
    body = (
        await client.get(
            "/history/compare",
            params={"a": "user-ada-s1", "b": "user-ada-s2"},
            headers=auth(realm, ADA),
        )
    ).json()
    assert body["overall_change"] == 12
    assert [(q["match"], q["score_change"]) for q in body["questions"]] == [
        ("same_question", 12)
    ] * 3


async def test_exports_markdown_pdf_svg_and_png(
    client: httpx.AsyncClient, realm: FakeIdentityProvider, projector: HistoryProjector
) -> None:
    await seed(projector, ADA, [60, 72, 68])
    headers = auth(realm, ADA)

    markdown = await client.get("/history/feedback/user-ada-s2/report", headers=headers)
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "mocksy-feedback-user-ada-s2.md" in markdown.headers["content-disposition"]
    assert "## Overall score\n\n72 / 100" in markdown.text
    pdf = await client.get(
        "/history/feedback/user-ada-s2/report", params={"format": "pdf"}, headers=headers
    )
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")

    svg = await client.get("/history/progress/chart", headers=headers)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.count("<circle") == 3
    png = await client.get(
        "/history/progress/chart",
        params={"format": "png", "series": "communication"},
        headers=headers,
    )
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    bad = await client.get("/history/progress/chart", params={"series": "x"}, headers=headers)
    assert bad.status_code == 422
