"""The scoring service against real Kafka, the MongoDB-compatible server and Keycloak.

Real ``SessionCompleted`` events go to the shared topic (one exact duplicate, and the same
session again under a new event id); an independent consumer group reads ``FeedbackReady`` from
Kafka; the API is called with access tokens Keycloak issued to users created for the test.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from pymongo import AsyncMongoClient

from common.events import FEEDBACK_READY, SESSION_COMPLETED, FeedbackReady, SessionCompleted
from common.messaging import EventPublisher, create_broker
from scoring.app import create_app
from scoring.settings import ScoringSettings
from tests.integration.accounts import Candidate, new_candidate, realm_admin
from tests.integration.servers import Servers

TEMPLATE = (
    Path(__file__).resolve().parents[2] / "services/scoring/tests/fixtures/mixed_session.json"
)
WAIT_S = 60.0
# Long enough after the last expected record for a duplicate to show up if there were one:
# several outbox relay passes.
DUPLICATE_GRACE_S = 3.0


def session_of(user_id: str, session_id: str) -> SessionCompleted:
    """The sample transcript as a new session of ``user_id``."""
    document: dict[str, Any] = json.loads(TEMPLATE.read_text())
    document.update(session_id=session_id, user_id=user_id, interview_id=f"int-{session_id}")
    return SessionCompleted.model_validate({"data": document})


async def from_the_end(servers: Servers, topic: str, group_id: str) -> AIOKafkaConsumer:
    """A consumer in ``group_id`` positioned at the current end of ``topic``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    await consumer.start()
    async with asyncio.timeout(WAIT_S):
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
    # Resolving the positions now pins "the end" to before anything this test publishes.
    await consumer.commit({tp: await consumer.position(tp) for tp in consumer.assignment()})
    return consumer


@dataclass
class Stack:
    api: httpx.AsyncClient
    publisher: EventPublisher
    feedback_ready: AIOKafkaConsumer
    mongo: AsyncMongoClient[dict[str, Any]]
    database: str
    ada: Candidate
    bob: Candidate


@pytest.fixture
async def stack(servers: Servers) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:8]
    service = f"scoring-it-{run}"
    database = f"scoring_it_{run}"
    settings = ScoringSettings.model_validate(
        {
            # A service name of its own gives this run its own consumer group.
            "service_name": service,
            "database": database,
            "outbox_poll_s": 0.1,
            "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
            "mongodb_uri": servers.mongodb_uri,
            "keycloak_url": servers.keycloak_url,
            "keycloak_realm": servers.keycloak_realm,
        }
    )
    admin = realm_admin(servers)
    ada, bob = (
        await new_candidate(servers, admin, "scoring"),
        await new_candidate(servers, admin, "scoring"),
    )
    # The service's new group starts at the end of the topic: it scores this test's sessions,
    # not every session other runs left there (and announces no feedback on them).
    pinned = await from_the_end(servers, SESSION_COMPLETED, f"mocksy-{service}.session-completed")
    await pinned.stop()
    reader = await from_the_end(servers, FEEDBACK_READY, f"scoring-it-reader-{run}")
    broker = create_broker(servers.kafka_bootstrap_servers, service=f"scoring-it-producer-{run}")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongodb_uri)
    app = create_app(settings)
    try:
        async with broker, LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
            await broker.start()
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://scoring") as api:
                yield Stack(api, EventPublisher(broker), reader, mongo, database, ada, bob)
    finally:
        await reader.stop()
        for candidate in (ada, bob):
            await admin.a_delete_user(candidate.user_id)
        await mongo.drop_database(database)
        await mongo.close()


async def announcements(stack: Stack, sessions: set[str]) -> dict[str, list[FeedbackReady]]:
    """This service's FeedbackReady records on ``sessions``, read until each arrived and a
    grace period passed.

    Another scoring process on the same Kafka (``make dev`` runs one) scores the same sessions
    and announces them under its own event ids; this service's announcement of a session is
    the one whose event id its stored feedback names.
    """
    stored = stack.mongo[stack.database]["feedback"]
    ours: dict[str, str] = {}
    found: dict[str, list[FeedbackReady]] = {s: [] for s in sessions}
    async with asyncio.timeout(WAIT_S):
        while len(ours) < len(sessions):
            async for document in stored.find({"_id": {"$in": sorted(sessions)}}):
                ours[document["_id"]] = document["event_id"]
            await asyncio.sleep(0.2)
        while not all(found.values()):
            await _read_into(stack.feedback_ready, found, ours, timeout_ms=200)
    await _read_into(stack.feedback_ready, found, ours, timeout_ms=int(DUPLICATE_GRACE_S * 1000))
    return found


async def _read_into(
    reader: AIOKafkaConsumer,
    found: dict[str, list[FeedbackReady]],
    ours: dict[str, str],
    timeout_ms: int,
) -> None:
    batch = await reader.getmany(timeout_ms=timeout_ms)
    for records in batch.values():
        for record in records:
            event = FeedbackReady.model_validate_json(record.value)
            session = event.data.session_id
            if session in found and str(event.event_id) == ours.get(session):
                found[session].append(event)


async def test_each_session_gets_one_feedback_announced_once_and_shown_to_its_owner(
    stack: Stack,
) -> None:
    run = uuid.uuid4().hex[:8]
    first = session_of(stack.ada.user_id, f"it-{run}-1")
    second = session_of(stack.ada.user_id, f"it-{run}-2")
    redelivered = first.model_copy(update={"event_id": uuid.uuid4()})
    for event in (first, first, second, redelivered):
        await stack.publisher.publish(event)

    found = await announcements(stack, {first.data.session_id, second.data.session_id})

    for session, events in found.items():
        assert len(events) == 1, f"{session}: {len(events)} FeedbackReady records"
    announced = found[first.data.session_id][0]
    assert announced.correlation_id == first.correlation_id
    assert announced.key == stack.ada.user_id
    assert announced.data.gradable is True
    assert announced.data.scorer.engine == "offline-rubric"

    stored = stack.mongo[stack.database]["feedback"]
    # Other runs may publish sessions on the shared topic meanwhile; count only Ada's.
    assert await stored.count_documents({"user_id": stack.ada.user_id}) == 2

    own = await stack.api.get(f"/feedback/{first.data.session_id}", headers=stack.ada.headers)
    assert own.status_code == 200, own.text
    assert own.json() == announced.data.model_dump(mode="json")

    other = await stack.api.get(f"/feedback/{first.data.session_id}", headers=stack.bob.headers)
    assert other.status_code == 404
    assert "still being scored" in other.json()["detail"]

    report = await stack.api.get(
        f"/feedback/{second.data.session_id}/report", headers=stack.ada.headers
    )
    assert "### Q2 (database indexing)" in report.text

    ready = await stack.api.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_a_thin_session_is_announced_as_not_gradable(stack: Stack) -> None:
    sample = session_of(stack.bob.user_id, f"it-thin-{uuid.uuid4().hex[:8]}")
    greeting, question, answer = sample.data.turns[:3]
    transcript = sample.data.model_copy(
        update={
            "outcome": "ended_early",
            "turns": [greeting, question, answer.model_copy(update={"text": "Sorry, no idea."})],
        }
    )
    thin = sample.model_copy(update={"data": transcript})
    await stack.publisher.publish(thin)

    [announced] = (await announcements(stack, {thin.data.session_id}))[thin.data.session_id]

    assert announced.data.gradable is False
    assert announced.data.overall_score is None
    response = await stack.api.get(f"/feedback/{thin.data.session_id}", headers=stack.bob.headers)
    assert response.json()["warnings"] == announced.data.warnings
