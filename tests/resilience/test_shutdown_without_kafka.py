"""A service asked to stop while Kafka is down stops, even with an event in flight to Kafka,
and loses nothing: the event stays in its outbox and goes out exactly once after Kafka and the
service are back.

Each service runs as its real console script (``mocksy-scoring serve``, ``mocksy-builder
serve``) with a database and topics of its own (``MOCKSY_TOPIC_PREFIX``). The pending event is
made the way the service makes it: scoring stores feedback with its ``FeedbackReady`` through
its own use case (what its consumer does with a ``SessionCompleted``), the builder is asked
over HTTP for an interview. The test waits until the relay reports the publish in flight and
unacknowledged, then sends SIGTERM.

The test stops the stack's Kafka (``deploy/local/stack down kafka``): run it only against a
stack of your own (see ``tests/resilience/faults.py``).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from common.events import FEEDBACK_READY, INTERVIEW_CREATED, SessionCompleted
from common.mongo import open_client
from scoring.domain.rubric import RubricScorer
from scoring.repository import MongoFeedbackRepository
from scoring.scorer import SessionScorer
from scoring.service import ScoringService
from tests.integration.accounts import new_candidate, realm_admin
from tests.integration.servers import REPO, Servers
from tests.resilience.faults import (
    ServiceProcess,
    eventually,
    free_port,
    stack_environment,
    stack_of,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

# "Does it stop at all", not a speed target: the bug was a shutdown that waited for minutes.
STOPS_WITHIN_S = 30.0
READY_WITHIN_S = 120.0
# What the relay logs once a publish has waited its timeout (10 s by default) unacknowledged.
IN_FLIGHT = "not acknowledged within"
DELIVERED_WITHIN_S = 120.0
# After the record arrived: time for a second copy to show up if there were one.
SETTLE_S = 5.0
TEMPLATE = REPO / "services" / "scoring" / "tests" / "fixtures" / "mixed_session.json"


@dataclass(frozen=True)
class Subject:
    """A service under test: its process, and how to leave one event pending in its outbox."""

    name: str
    process: ServiceProcess
    url: str
    topic: str
    # Makes a new pending event; returns the value of ``data.<field>`` that identifies it.
    make_pending: Callable[[], Awaitable[str]]
    field: str


async def create_topics(servers: Servers, topics: list[str]) -> None:
    """This run's topics, made before Kafka stops so the relay's publish reaches the producer."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=1, replication_factor=1) for t in topics]
        )
    finally:
        await admin.close()


async def delete_topics(servers: Servers, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()


async def wait_ready(subject: Subject) -> None:
    async def ready() -> bool:
        if subject.process.process is not None and subject.process.process.poll() is not None:
            pytest.fail(f"{subject.name} exited:\n{subject.process.output()}", pytrace=False)
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                return (await http.get(f"{subject.url}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(ready, within=READY_WITHIN_S, what=f"{subject.name} ready")


def log_has(process: ServiceProcess, text: str) -> bool:
    return text in process.log.read_text(errors="replace")


async def records(reader: AIOKafkaConsumer, field: str, wanted: str) -> list[dict[str, Any]]:
    """Every record on the reader's topic naming ``wanted``, read until one arrived and
    ``SETTLE_S`` more passed."""
    found: list[dict[str, Any]] = []

    async def poll() -> None:
        for batch in (await reader.getmany(timeout_ms=500)).values():
            for record in batch:
                value: dict[str, Any] = json.loads(record.value)
                if value.get("data", {}).get(field) == wanted:
                    found.append(value)

    async with asyncio.timeout(DELIVERED_WITHIN_S):
        while not found:
            await poll()
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        await poll()
    return found


@pytest.fixture(params=["scoring", "interview-builder"])
async def subject(
    request: pytest.FixtureRequest, servers: Servers, tmp_path: Path
) -> AsyncIterator[Subject]:
    run = uuid.uuid4().hex[:8]
    prefix = f"shutdown.{run}."
    port = free_port()
    database = f"shutdown_{run}"
    env = {**stack_environment(servers), "MOCKSY_TOPIC_PREFIX": prefix, "PYTHONUNBUFFERED": "1"}
    topics = [prefix + INTERVIEW_CREATED, prefix + "mocksy.session.completed.v1"]
    topics.append(prefix + FEEDBACK_READY)
    await create_topics(servers, topics)
    admin = realm_admin(servers)
    cleanups: list[Callable[[], Awaitable[object]]] = []
    async with open_client(servers.mongodb_uri, f"resilience-shutdown-{run}") as mongo:
        if request.param == "scoring":
            process = ServiceProcess(
                ("mocksy-scoring", "serve"),
                {
                    **env,
                    "MOCKSY_SCORING_SERVICE_NAME": f"scoring-shutdown-{run}",
                    "MOCKSY_SCORING_DATABASE": database,
                    "MOCKSY_SCORING_HTTP_PORT": str(port),
                    "MOCKSY_SCORING_OUTBOX_POLL_S": "0.2",
                },
                tmp_path / "scoring.log",
            )
            service = ScoringService(
                MongoFeedbackRepository.in_database(mongo[database]), SessionScorer(RubricScorer())
            )

            async def scored() -> str:
                document: dict[str, Any] = json.loads(TEMPLATE.read_text())
                session_id = f"shutdown-{run}-{uuid.uuid4().hex[:6]}"
                document.update(session_id=session_id, user_id=f"u-{run}", interview_id=run)
                await service.session_completed(SessionCompleted.model_validate({"data": document}))
                return session_id

            made = Subject(
                "scoring",
                process,
                f"http://127.0.0.1:{port}",
                prefix + FEEDBACK_READY,
                scored,
                "session_id",
            )
        else:
            process = ServiceProcess(
                ("mocksy-builder", "serve"),
                {
                    **env,
                    "MOCKSY_BUILDER_SERVICE_NAME": f"builder-shutdown-{run}",
                    "MOCKSY_BUILDER_DATABASE": database,
                    "MOCKSY_BUILDER_HTTP_PORT": str(port),
                    "MOCKSY_BUILDER_OUTBOX_POLL_INTERVAL_S": "0.2",
                },
                tmp_path / "builder.log",
            )
            ada = await new_candidate(servers, admin, "shutdown")
            cleanups.append(lambda: admin.a_delete_user(ada.user_id))

            async def created() -> str:
                async with httpx.AsyncClient(timeout=30) as http:
                    answer = await http.post(
                        f"http://127.0.0.1:{port}/interviews",
                        json={"role": "backend", "interview_type": "technical", "level": "mid"},
                        headers=ada.headers,
                    )
                assert answer.status_code == 201, answer.text
                return str(answer.json()["id"])

            made = Subject(
                "interview-builder",
                process,
                f"http://127.0.0.1:{port}",
                prefix + INTERVIEW_CREATED,
                created,
                "id",
            )
        try:
            yield made
        finally:
            made.process.stop()
            await mongo.drop_database(database)
            for cleanup in cleanups:
                await cleanup()
            await delete_topics(servers, topics)


async def test_a_service_stopped_while_kafka_is_down_exits_and_sends_its_event_once_later(
    servers: Servers, subject: Subject
) -> None:
    stack = stack_of(servers)
    process = subject.process
    reader = AIOKafkaConsumer(
        subject.topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=f"resilience-shutdown-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        process.start()
        await wait_ready(subject)
        # One event while Kafka is up: the relay works, and the producer knows the topic's
        # partitions, as a service that has been running for a while does.
        first = await subject.make_pending()
        assert len(await records(reader, subject.field, first)) == 1
        try:
            await asyncio.to_thread(stack.down, "kafka")
            wanted = await subject.make_pending()
            await eventually(
                lambda: log_has(process, IN_FLIGHT),
                within=60,
                what=f"{subject.name}'s relay publishing to the stopped Kafka",
            )
            asked = time.monotonic()
            assert process.process is not None
            process.process.send_signal(signal.SIGTERM)
            try:
                status = await asyncio.to_thread(process.process.wait, STOPS_WITHIN_S)
            except subprocess.TimeoutExpired:
                pytest.fail(
                    f"{subject.name} still running {STOPS_WITHIN_S:.0f}s after SIGTERM with "
                    f"Kafka down:\n{process.output()}",
                    pytrace=False,
                )
            stopped_s = time.monotonic() - asked
            process.stop()  # closes the log
        finally:
            await asyncio.to_thread(stack.up, "kafka")

        process.start()
        await wait_ready(subject)
        announced = await records(reader, subject.field, wanted)
    finally:
        await reader.stop()

    # SIGTERM, handled: uvicorn re-raises the signal once its shutdown completed.
    assert status in (0, -signal.SIGTERM), process.output()
    assert Counter(v["event_id"] for v in announced) == Counter({announced[0]["event_id"]: 1})
    print(
        f"\n{subject.name} stopped {stopped_s:.1f}s after SIGTERM with Kafka down and an event "
        f"in flight to {subject.topic}; after Kafka and the service came back it was published "
        f"{len(announced)} time(s)"
    )
