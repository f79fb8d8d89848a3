"""The history service against real Kafka, the MongoDB-compatible server and Keycloak tokens.

Events are published to the real topics out of order and twice; the API is called with access
tokens Keycloak issued by the password grant to users created through its admin API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from asgi_lifespan import LifespanManager
from pymongo import AsyncMongoClient

from common.events import EventEnvelope
from common.messaging import EventPublisher, create_broker
from history.app import create_app
from history.consumers import CONSUMERS
from history.settings import HistorySettings
from history.testing import EPOCH, Attempt, feedback_ready, interview_created, session_completed
from tests.integration.accounts import Candidate, new_candidate, realm_admin
from tests.integration.servers import Servers

WAIT_S = 60.0


async def start_at_the_end(servers: Servers, service: str) -> None:
    """Commit the topics' end offsets for this run's consumer groups.

    A new group would otherwise read every record other test runs and services ever published
    (``earliest``), which makes the test as slow as the topics are long.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([event.topic for _, event in CONSUMERS])
    finally:
        await admin.close()
    for name, event in CONSUMERS:
        partitions = [
            TopicPartition(event.topic, p["partition"])
            for topic in described
            if topic["topic"] == event.topic
            for p in topic["partitions"]
        ]
        if not partitions:
            continue  # a topic not created yet has no backlog either
        group = AIOKafkaConsumer(
            bootstrap_servers=servers.kafka_bootstrap_servers,
            group_id=f"mocksy-{service}.{name}",
            enable_auto_commit=False,
        )
        await group.start()
        try:
            group.assign(partitions)
            ends = await group.end_offsets(partitions)
            await group.commit({tp: OffsetAndMetadata(end, "") for tp, end in ends.items()})
        finally:
            await group.stop()


@dataclass
class Stack:
    api: httpx.AsyncClient
    publish: Callable[[EventEnvelope], Awaitable[None]]
    ada: Candidate
    bob: Candidate


@pytest.fixture
async def stack(servers: Servers) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:8]
    database = f"history_it_{run}"
    # A service name of its own gives this run its own consumer groups, so another history
    # process on the same Kafka cannot take the records meant for this one.
    service = f"history-it-{run}"
    await start_at_the_end(servers, service)
    settings = HistorySettings.model_validate(
        {
            "service_name": service,
            "database": database,
            "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
            "mongodb_uri": servers.mongodb_uri,
            "keycloak_url": servers.keycloak_url,
            "keycloak_realm": servers.keycloak_realm,
        }
    )
    admin = realm_admin(servers)
    ada, bob = (
        await new_candidate(servers, admin, "history"),
        await new_candidate(servers, admin, "history"),
    )
    broker = create_broker(servers.kafka_bootstrap_servers, service=f"history-it-producer-{run}")
    app = create_app(settings)
    try:
        async with broker, LifespanManager(app, startup_timeout=30) as manager:
            await broker.start()
            publisher = EventPublisher(broker)
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://history") as api:
                yield Stack(api, publisher.publish, ada, bob)
    finally:
        for candidate in (ada, bob):
            await admin.a_delete_user(candidate.user_id)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongodb_uri)
        await mongo.drop_database(database)
        await mongo.close()


async def eventually(
    api: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    ready: Callable[[httpx.Response], bool],
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """GET ``path`` until ``ready`` holds: the consumers work in the background."""
    async with asyncio.timeout(WAIT_S):
        while True:
            response = await api.get(path, headers=headers, params=params)
            if ready(response):
                return response
            await asyncio.sleep(0.3)


def again(event: EventEnvelope) -> EventEnvelope:
    """The same event published anew by a producer that retried: a new event id."""
    return event.model_copy(update={"event_id": uuid.uuid4()})


async def test_history_from_real_events_arriving_out_of_order_and_twice(stack: Stack) -> None:
    user = stack.ada.user_id
    first = Attempt("it-s1", "it-i1", EPOCH + timedelta(days=1), 58, fillers_per_100=5.0)
    retake = Attempt("it-s2", "it-i1", EPOCH + timedelta(days=8), 66, fillers_per_100=3.5)
    third = Attempt(
        "it-s3", "it-i2", EPOCH + timedelta(days=15), 77, fillers_per_100=2.0, role="backend"
    )
    headers = stack.ada.headers

    # Feedback before its session and before its interview, and seen by the API that way.
    early = feedback_ready(user, first)
    await stack.publish(early)
    await stack.publish(early)
    pending = await eventually(
        stack.api,
        "/history/feedback",
        headers,
        lambda r: r.status_code == 200 and len(r.json()["items"]) == 1,
    )
    assert pending.json()["items"][0]["role"] is None

    for event in [
        session_completed(user, first),
        feedback_ready(user, retake),
        session_completed(user, retake),
        interview_created(user, "it-i1"),
        again(session_completed(user, first)),
        interview_created(user, "it-i2", at=EPOCH + timedelta(days=14), role="backend"),
        session_completed(user, third),
        feedback_ready(user, third),
        again(feedback_ready(user, third)),
    ]:
        await stack.publish(event)

    def settled(response: httpx.Response) -> bool:
        items = response.json().get("items", [])
        return [
            (i["interview_id"], i["attempts"], i["source"], i["best_score"]) for i in items
        ] == [
            ("it-i2", 1, "setup_chat", 77),
            ("it-i1", 2, "setup_chat", 66),
        ]

    interviews = await eventually(stack.api, "/history/interviews", headers, settled)
    newest, oldest = interviews.json()["items"]
    assert (oldest["best_score"], oldest["last_score"], oldest["role"]) == (66, 66, "frontend")
    assert (newest["best_score"], newest["role"]) == (77, "backend")

    def complete(response: httpx.Response) -> bool:
        return all(a["ended_at"] and a["overall_score"] for a in response.json()["items"])

    await eventually(stack.api, "/history/interviews/it-i2/attempts", headers, complete)
    attempts = await eventually(stack.api, "/history/interviews/it-i1/attempts", headers, complete)
    assert [(a["session_id"], a["overall_score"]) for a in attempts.json()["items"]] == [
        ("it-s2", 66),
        ("it-s1", 58),
    ]
    page = (await stack.api.get("/history/feedback", headers=headers, params={"limit": 2})).json()
    assert [f["session_id"] for f in page["items"]] == ["it-s3", "it-s2"]
    rest = await stack.api.get(
        "/history/feedback", headers=headers, params={"limit": 2, "cursor": page["next_cursor"]}
    )
    assert [f["session_id"] for f in rest.json()["items"]] == ["it-s1"]
    assert rest.json()["next_cursor"] is None

    # The progress document is written after the attempt, so it may trail it for a moment.
    progress = (
        await eventually(
            stack.api,
            "/history/progress",
            headers,
            lambda r: [g["sessions"] for g in r.json()["groups"]] == [1, 2],
        )
    ).json()
    assert [p["score"] for p in progress["all"]["overall"]["points"]] == [58, 66, 77]
    assert progress["all"]["overall"]["trend"]["direction"] == "improving"
    assert [(g["role"], g["sessions"]) for g in progress["groups"]] == [
        ("backend", 1),
        ("frontend", 2),
    ]

    insights = (await stack.api.get("/history/insights", headers=headers)).json()
    found = {(i["kind"], i["subject"]): i for i in insights["insights"]}
    assert found[("improved_since_first", "overall")]["sessions"] == ["it-s1", "it-s3"]
    assert found[("speech_trend", "filler_words_per_100")]["direction"] == "down"

    compared = await stack.api.get(
        "/history/compare", headers=headers, params={"a": "it-s1", "b": "it-s2"}
    )
    assert compared.json()["overall_change"] == 8
    assert [q["match"] for q in compared.json()["questions"]] == ["same_question"] * 3

    markdown = await stack.api.get("/history/feedback/it-s2/report", headers=headers)
    assert "## Overall score\n\n66 / 100" in markdown.text
    pdf = await stack.api.get(
        "/history/feedback/it-s2/report", headers=headers, params={"format": "pdf"}
    )
    assert pdf.content.startswith(b"%PDF-")
    chart = await stack.api.get("/history/progress/chart", headers=headers)
    assert chart.text.count("<circle") == 3
    png = await stack.api.get("/history/progress/chart", headers=headers, params={"format": "png"})
    assert png.content.startswith(b"\x89PNG")

    ready = await stack.api.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_another_users_data_is_never_returned(stack: Stack) -> None:
    ada, bob = stack.ada, stack.bob
    attempt = Attempt("it-own-s1", "it-own-i1", EPOCH, 70)
    for event in [
        interview_created(ada.user_id, "it-own-i1"),
        session_completed(ada.user_id, attempt),
        feedback_ready(ada.user_id, attempt),
    ]:
        await stack.publish(event)
    await eventually(
        stack.api, "/history/feedback/it-own-s1", ada.headers, lambda r: r.status_code == 200
    )

    for path in (
        "/history/interviews/it-own-i1/attempts",
        "/history/feedback/it-own-s1",
        "/history/feedback/it-own-s1/report",
    ):
        response = await stack.api.get(path, headers=bob.headers)
        assert response.status_code == 404, path
    compared = await stack.api.get(
        "/history/compare", headers=bob.headers, params={"a": "it-own-s1", "b": "it-own-s1"}
    )
    assert compared.status_code == 404
    assert (await stack.api.get("/history/interviews", headers=bob.headers)).json()["items"] == []
    bob_progress = (await stack.api.get("/history/progress", headers=bob.headers)).json()
    assert bob_progress["sessions"] == 0
    assert (await stack.api.get("/history/interviews")).status_code == 401
