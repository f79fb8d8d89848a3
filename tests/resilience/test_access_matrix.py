"""Another candidate's ids get 404 on every endpoint of every service, on the real stack.

Candidate A builds a real footprint through the five services: a setup chat that becomes an
interview (InterviewCreated over Kafka to the voice agent and history), voice sessions with
LiveKit rooms, two of them finished with a transcript (SessionCompleted → scoring →
FeedbackReady → history). Candidate B, a second real Keycloak user, then calls every endpoint
that takes an id with A's ids and must get 404 — exactly what an id that does not exist gets,
so B cannot even learn that A's ids exist — and sees none of A's items in any list. A gets the
resource from the same call, so a 404 for B is not just a broken route.

The endpoints come from each app's OpenAPI document: a new endpoint taking an id fails
``test_every_endpoint_taking_an_id_is_in_the_matrix`` until it is added to ``MATRIX``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import pytest
import pytest_asyncio
from livekit import api

from common.events import Turn
from tests.integration.accounts import Candidate
from tests.integration.servers import Servers
from tests.resilience.fleet import Fleet, eventually

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]


@dataclass(frozen=True)
class Footprint:
    """What candidate A made, by the ids the endpoints take."""

    setup_id: str  # confirmed into `interview_id`
    open_setup_id: str  # a chat still asking questions
    interview_id: str
    spare_interview_id: str  # A deletes this one at the end
    session_ids: tuple[str, str]  # finished, scored, in history
    live_session_id: str  # started, never finished: resumable
    rooms: tuple[str, ...]


def _turns(interview: dict[str, Any]) -> list[Turn]:
    """A candidate who answers every question with its key points."""
    turns = []
    clock = 0
    for question in interview["questions"]:
        points = ". ".join(question["key_points"])
        for speaker, kind, text in (
            ("interviewer", "question", question["text"]),
            (
                "candidate",
                "answer",
                f"In my last role I faced exactly this. {points}. I measured the result "
                "and the team shipped on time, which taught me to weigh the trade-offs early.",
            ),
        ):
            turns.append(
                Turn.model_validate(
                    {
                        "speaker": speaker,
                        "text": text,
                        "start_ms": clock,
                        "end_ms": clock + 9_000,
                        "question_id": question["question_id"],
                        "kind": kind,
                        "stt_confidence": 0.9 if speaker == "candidate" else None,
                    }
                )
            )
            clock += 10_000
    return turns


async def _ok(response: httpx.Response, *expected: int) -> dict[str, Any]:
    assert response.status_code in expected, f"{response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


async def leave_footprint(fleet: Fleet, a: Candidate) -> Footprint:
    """A's setup chats, interviews, sessions, feedback and history, through the real services."""
    started = await _ok(
        await fleet.builder.post(
            "/setup", json={"text": "I'm a mid level backend dev"}, headers=a.headers
        ),
        201,
    )
    setup_id = started["setup_id"]
    for text in ("mixed please", "python and postgres", "make it 3 questions", "yes"):
        await _ok(
            await fleet.builder.post(
                f"/setup/{setup_id}/messages", json={"text": text}, headers=a.headers
            ),
            200,
        )
    interview = await _ok(
        await fleet.builder.post(f"/setup/{setup_id}/confirm", headers=a.headers), 201
    )
    interview_id = interview["id"]
    open_setup = await _ok(
        await fleet.builder.post(
            "/setup", json={"text": "I'm a junior frontend dev"}, headers=a.headers
        ),
        201,
    )
    spare = await _ok(
        await fleet.builder.post(
            "/interviews",
            json={"role": "frontend", "interview_type": "behavioral", "level": "junior"},
            headers=a.headers,
        ),
        201,
    )

    # The voice agent learns the interview from InterviewCreated.
    first = await eventually(
        lambda: fleet.voice.post(f"/interviews/{interview_id}/sessions", headers=a.headers),
        lambda r: r.status_code == 201,
        what="the voice agent learning A's interview",
    )
    grants = [first.json()]
    for _ in range(2):
        grants.append(
            await _ok(
                await fleet.voice.post(f"/interviews/{interview_id}/sessions", headers=a.headers),
                201,
            )
        )
    finished = (grants[0]["session_id"], grants[1]["session_id"])
    turns = _turns(interview)
    # The interviewer worker's part, through the store it writes to; finishing queues
    # SessionCompleted in the same write and the app's outbox relay publishes it.
    for session_id in finished:
        assert await fleet.sessions.activate(session_id, "access-worker", datetime.now(UTC))
        for index, line in enumerate(turns):
            assert await fleet.sessions.append_turn(session_id, line, line.question_id, index=index)
        assert await fleet.sessions.finish(session_id, "completed", datetime.now(UTC))

    for session_id in finished:
        await eventually(
            partial(fleet.history.get, f"/history/feedback/{session_id}", headers=a.headers),
            lambda r: r.status_code == 200,
            what=f"feedback on {session_id} reaching history",
        )
        await eventually(
            partial(fleet.scoring.get, f"/feedback/{session_id}", headers=a.headers),
            lambda r: r.status_code == 200,
            what=f"scoring storing feedback on {session_id}",
        )
    await eventually(
        lambda: fleet.history.get("/history/interviews", headers=a.headers),
        lambda r: (
            {i["interview_id"] for i in r.json().get("items", [])} >= {interview_id, spare["id"]}
        ),
        what="both of A's interviews reaching history",
    )
    return Footprint(
        setup_id=setup_id,
        open_setup_id=open_setup["setup_id"],
        interview_id=interview_id,
        spare_interview_id=spare["id"],
        session_ids=finished,
        live_session_id=grants[2]["session_id"],
        rooms=tuple(g["room"] for g in grants),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def footprint(
    servers: Servers, fleet: Fleet, pair: tuple[Candidate, Candidate]
) -> AsyncIterator[Footprint]:
    made = await leave_footprint(fleet, pair[0])
    yield made
    livekit = api.LiveKitAPI(
        servers.livekit_url.replace("ws", "http", 1),
        servers.livekit_api_key,
        servers.livekit_api_secret,
    )
    try:
        for room in made.rooms:
            await livekit.room.delete_room(api.DeleteRoomRequest(room=room))
    finally:
        await livekit.aclose()


@dataclass(frozen=True)
class Call:
    """One request with A's ids, and what A gets from it."""

    path: str
    params: dict[str, str] | None = None
    body: dict[str, str] | None = None
    owner_gets: int = 200


# Every endpoint that takes an id, as its OpenAPI document names it, with A's ids filled in.
MATRIX: dict[tuple[str, str, str], Callable[[Footprint], Call]] = {
    ("interview-builder", "POST", "/setup/{setup_id}/messages"): lambda f: Call(
        f"/setup/{f.open_setup_id}/messages", body={"text": "senior please"}
    ),
    ("interview-builder", "POST", "/setup/{setup_id}/confirm"): lambda f: Call(
        f"/setup/{f.setup_id}/confirm"
    ),
    ("interview-builder", "GET", "/interviews/{interview_id}"): lambda f: Call(
        f"/interviews/{f.interview_id}"
    ),
    ("interview-builder", "POST", "/interviews/{interview_id}/retake"): lambda f: Call(
        f"/interviews/{f.interview_id}/retake", owner_gets=201
    ),
    ("interview-builder", "DELETE", "/interviews/{interview_id}"): lambda f: Call(
        f"/interviews/{f.spare_interview_id}", owner_gets=204
    ),
    ("voice-agent", "POST", "/interviews/{interview_id}/sessions"): lambda f: Call(
        f"/interviews/{f.interview_id}/sessions", owner_gets=201
    ),
    ("voice-agent", "GET", "/sessions/{session_id}"): lambda f: Call(
        f"/sessions/{f.session_ids[0]}"
    ),
    ("voice-agent", "POST", "/sessions/{session_id}/resume"): lambda f: Call(
        f"/sessions/{f.live_session_id}/resume"
    ),
    # Ending an ended session is a no-op that shows it, so the finished one serves.
    ("voice-agent", "POST", "/sessions/{session_id}/end"): lambda f: Call(
        f"/sessions/{f.session_ids[0]}/end"
    ),
    ("scoring", "GET", "/feedback/{session_id}"): lambda f: Call(f"/feedback/{f.session_ids[0]}"),
    ("scoring", "GET", "/feedback/{session_id}/report"): lambda f: Call(
        f"/feedback/{f.session_ids[0]}/report"
    ),
    ("history", "GET", "/history/interviews/{interview_id}/attempts"): lambda f: Call(
        f"/history/interviews/{f.interview_id}/attempts"
    ),
    ("history", "GET", "/history/feedback/{session_id}"): lambda f: Call(
        f"/history/feedback/{f.session_ids[0]}"
    ),
    ("history", "GET", "/history/feedback/{session_id}/report"): lambda f: Call(
        f"/history/feedback/{f.session_ids[0]}/report", {"format": "pdf"}
    ),
    # Ids in the query string rather than the path.
    ("history", "GET", "/history/compare"): lambda f: Call(
        "/history/compare", {"a": f.session_ids[0], "b": f.session_ids[1]}
    ),
}

# Query parameters that carry a resource id (the path ones are found by their braces).
ID_QUERY_PARAMETERS = frozenset({"a", "b"})

# Lists of one's own items, with what an item looks like in each.
LISTS: dict[tuple[str, str], Callable[[dict[str, Any]], list[str]]] = {
    ("interview-builder", "/interviews"): lambda body: [i["id"] for i in body["items"]],
    ("history", "/history/interviews"): lambda body: [i["interview_id"] for i in body["items"]],
    ("history", "/history/feedback"): lambda body: [i["session_id"] for i in body["items"]],
    ("history", "/history/progress"): lambda body: [
        point["session_id"] for point in body["all"]["overall"]["points"]
    ],
}


def _endpoints_taking_ids(document: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            if re.search(r"\{[^}]+\}", path) or names & ID_QUERY_PARAMETERS:
                found.add((method.upper(), path))
    return found


async def test_every_endpoint_taking_an_id_is_in_the_matrix(fleet: Fleet) -> None:
    documents = {service: app.openapi() for service, app in fleet.apps.items()}
    served = {
        (service, method, path)
        for service, document in documents.items()
        for method, path in _endpoints_taking_ids(document)
    }

    assert served - MATRIX.keys() == set(), "add these endpoints to MATRIX"
    assert MATRIX.keys() - served == set(), "MATRIX names endpoints the services do not serve"


def _leaks(body: str, footprint: Footprint, a: Candidate) -> list[str]:
    """A's identifiers in a response to B, other than the one B asked about."""
    return [
        value
        for value in (a.user_id, footprint.interview_id, *footprint.session_ids)
        if value in body
    ]


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=" ".join)
async def test_someone_elses_id_is_not_found(
    endpoint: tuple[str, str, str],
    fleet: Fleet,
    pair: tuple[Candidate, Candidate],
    footprint: Footprint,
) -> None:
    a, b = pair
    service, method, _ = endpoint
    call = MATRIX[endpoint](footprint)
    client = fleet.apis[service]

    intruder = await client.request(
        method, call.path, params=call.params, json=call.body, headers=b.headers
    )

    assert intruder.status_code == 404, f"B got {intruder.status_code}: {intruder.text[:300]}"
    assert a.user_id not in intruder.text
    # B's attempt changed nothing: A still gets the resource, from the very same request.
    owner = await client.request(
        method, call.path, params=call.params, json=call.body, headers=a.headers
    )
    assert owner.status_code == call.owner_gets, owner.text[:300]


async def test_someone_elses_id_reads_exactly_like_a_missing_one(
    fleet: Fleet, pair: tuple[Candidate, Candidate], footprint: Footprint
) -> None:
    _, b = pair
    ids = sorted(
        {
            footprint.setup_id,
            footprint.open_setup_id,
            footprint.interview_id,
            footprint.spare_interview_id,
            footprint.live_session_id,
            *footprint.session_ids,
        }
    )
    stand_ins = {real: f"no-such-id-{n}" for n, real in enumerate(ids)}

    def made_up(text: str) -> str:
        for real, stand_in in stand_ins.items():
            text = text.replace(real, stand_in)
        return text

    for endpoint, call_of in MATRIX.items():
        service, method, _ = endpoint
        call = call_of(footprint)
        params = {k: made_up(v) for k, v in (call.params or {}).items()}
        client = fleet.apis[service]

        theirs = await client.request(
            method, call.path, params=call.params, json=call.body, headers=b.headers
        )
        missing = await client.request(
            method, made_up(call.path), params=params, json=call.body, headers=b.headers
        )

        # Same status, same type, same words: nothing tells B that A's id exists.
        assert theirs.status_code == missing.status_code, endpoint
        assert theirs.headers.get("content-type") == missing.headers.get("content-type")
        assert made_up(theirs.text) == missing.text, endpoint


async def test_lists_show_an_intruder_none_of_the_owners_items(
    fleet: Fleet, pair: tuple[Candidate, Candidate], footprint: Footprint
) -> None:
    a, b = pair
    for (service, path), items in LISTS.items():
        client = fleet.apis[service]

        owners = await _ok(await client.get(path, headers=a.headers), 200)
        intruders = await _ok(await client.get(path, headers=b.headers), 200)

        assert items(owners), f"{service} {path}: A's own list is empty, nothing was tested"
        assert items(intruders) == [], f"{service} {path} shows B: {items(intruders)}"
        assert _leaks(str(intruders), footprint, a) == []


async def test_insights_and_charts_of_an_intruder_hold_nothing_of_the_owners(
    fleet: Fleet, pair: tuple[Candidate, Candidate], footprint: Footprint
) -> None:
    a, b = pair
    owners = await fleet.history.get("/history/insights", headers=a.headers)
    intruders = await fleet.history.get("/history/insights", headers=b.headers)
    chart = await fleet.history.get("/history/progress/chart", headers=b.headers)

    assert owners.status_code == intruders.status_code == chart.status_code == 200
    assert intruders.json() != owners.json()
    assert _leaks(intruders.text + chart.text, footprint, a) == []


async def test_each_candidate_is_themself_to_the_auth_service(
    fleet: Fleet, pair: tuple[Candidate, Candidate]
) -> None:
    a, b = pair

    mine = await _ok(await fleet.auth.get("/auth/me", headers=a.headers), 200)
    theirs = await _ok(await fleet.auth.get("/auth/me", headers=b.headers), 200)

    assert (mine["user_id"], theirs["user_id"]) == (a.user_id, b.user_id)
