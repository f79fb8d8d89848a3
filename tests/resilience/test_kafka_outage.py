"""Kafka stopped for 30 s while interviews are created and voice sessions end: once Kafka is
back, every ``InterviewCreated`` and every ``SessionCompleted`` is published, each exactly once.

The interview builder and the voice agent's sessions API run in this process against the real
MongoDB-compatible server, Keycloak, LiveKit and Kafka. Sessions end during the outage the three
ways they end in production: the interviewer worker finishes the interview (through the
session store wrapper the worker uses), the sweeper gives up on a session whose worker died and
whose candidate never resumed (``ended_early``), and the sweeper fails a session no worker ever
took (``failed``). Each writes its ``SessionCompleted`` into the session's outbox; nothing here
writes an outbox entry by hand. The sweeper's clock is moved forward instead of waiting.

The test stops the stack's Kafka (``deploy/local/stack down kafka``): run it only against a
stack of your own (see ``tests/resilience/faults.py``).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from common.events import INTERVIEW_CREATED, SESSION_COMPLETED, Turn
from common.mongo import open_client
from interview_builder.app import create_app as create_builder
from interview_builder.settings import BuilderSettings
from tests.integration.accounts import Candidate, new_candidate, realm_admin
from tests.integration.servers import Servers
from tests.resilience.faults import eventually, pin_group_to_end, reader_at_end, stack_of
from voice_agent.app import create_app as create_voice_agent
from voice_agent.repository import MongoInterviewStore, MongoSessionStore
from voice_agent.settings import VoiceAgentSettings
from voice_agent.worker.journal import SerialSessionStore

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

OUTAGE_S = 30.0
DELIVERED_WITHIN_S = 120.0
# After the last expected record: time for a second copy to show up if there were one.
SETTLE_S = 5.0
INTERVIEW = {"role": "fullstack", "interview_type": "mixed", "level": "junior"}
WORKER_TIMEOUT_S = 10.0
GRACE_PERIOD_S = 20.0
START_TIMEOUT_S = 60.0


class MovableClock:
    """The voice agent's clock: real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass(frozen=True)
class Drill:
    builder: httpx.AsyncClient
    voice: httpx.AsyncClient
    voice_app: FastAPI
    sessions: MongoSessionStore
    interviews: MongoInterviewStore
    clock: MovableClock
    ada: Candidate
    interviews_read: AIOKafkaConsumer
    sessions_read: AIOKafkaConsumer


@pytest.fixture
async def drill(servers: Servers) -> AsyncIterator[Drill]:
    run = uuid.uuid4().hex[:8]
    shared = {
        "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
        "mongodb_uri": servers.mongodb_uri,
        "keycloak_url": servers.keycloak_url,
        "keycloak_realm": servers.keycloak_realm,
    }
    builder_db, voice_db = f"builder_kafka_outage_{run}", f"voice_kafka_outage_{run}"
    voice_service = f"voice-kafka-outage-{run}"
    voice_settings = VoiceAgentSettings.model_validate(
        {
            **shared,
            "service_name": voice_service,
            "database": voice_db,
            "livekit_url": servers.livekit_url,
            "livekit_api_key": servers.livekit_api_key,
            "livekit_api_secret": servers.livekit_api_secret,
            # No worker serves this name: the test plays the worker through its session store.
            "agent_name": f"resilience-interviewer-{run}",
            "sweep_interval_s": 0,
            "worker_timeout_s": WORKER_TIMEOUT_S,
            "grace_period_s": GRACE_PERIOD_S,
            "start_timeout_s": START_TIMEOUT_S,
        }
    )
    await pin_group_to_end(servers, INTERVIEW_CREATED, f"mocksy-{voice_service}.interview-created")
    interviews_read = await reader_at_end(servers, INTERVIEW_CREATED, f"resilience-ic-{run}")
    sessions_read = await reader_at_end(servers, SESSION_COMPLETED, f"resilience-sc-{run}")
    clock = MovableClock()
    builder_app = create_builder(
        BuilderSettings.model_validate(
            {
                **shared,
                "database": builder_db,
                "outbox_poll_interval_s": 0.2,
                "llm_base_url": None,
            }
        )
    )
    voice_app = create_voice_agent(voice_settings, clock=clock)
    admin = realm_admin(servers)
    ada = await new_candidate(servers, admin, "kafka-outage")
    try:
        async with (
            AsyncExitStack() as stack,
            open_client(servers.mongodb_uri, "resilience-kafka-outage") as mongo,
        ):
            clients = []
            for name, app in (("builder", builder_app), ("voice", voice_app)):
                manager = await stack.enter_async_context(
                    LifespanManager(app, startup_timeout=60, shutdown_timeout=30)
                )
                clients.append(
                    await stack.enter_async_context(
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=manager.app),
                            base_url=f"http://{name}",
                        )
                    )
                )
            yield Drill(
                clients[0],
                clients[1],
                voice_app,
                MongoSessionStore(mongo[voice_db]["sessions"]),
                MongoInterviewStore(mongo[voice_db]["interviews"]),
                clock,
                ada,
                interviews_read,
                sessions_read,
            )
            for database in (builder_db, voice_db):
                await mongo.drop_database(database)
    finally:
        await interviews_read.stop()
        await sessions_read.stop()
        await admin.a_delete_user(ada.user_id)


async def read_by(
    reader: AIOKafkaConsumer, field: str, expected: set[str], *, within: float
) -> list[dict[str, Any]]:
    """Every record whose ``data.<field>`` is in ``expected``, read until each arrived and
    ``SETTLE_S`` passed (so that a second copy would be read too)."""
    found: list[dict[str, Any]] = []

    async def poll(timeout_ms: int) -> None:
        batch = await reader.getmany(timeout_ms=timeout_ms)
        for records in batch.values():
            for record in records:
                value: dict[str, Any] = json.loads(record.value)
                if value["data"][field] in expected:
                    found.append(value)

    async with asyncio.timeout(within):
        while {v["data"][field] for v in found} != expected:
            await poll(500)
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        await poll(500)
    return found


def turn(n: int, speaker: str, kind: str, question_id: str | None) -> Turn:
    return Turn.model_validate(
        {
            "speaker": speaker,
            "text": f"{speaker} line {n}",
            "start_ms": n * 4_000,
            "end_ms": n * 4_000 + 3_000,
            "question_id": question_id,
            "kind": kind,
            "stt_confidence": 0.9 if speaker == "candidate" else None,
        }
    )


async def test_interviews_and_sessions_that_end_while_kafka_is_down_are_published_once_after(
    servers: Servers, drill: Drill
) -> None:
    stack = stack_of(servers)
    ada = drill.ada
    created = await drill.builder.post("/interviews", json=INTERVIEW, headers=ada.headers)
    assert created.status_code == 201, created.text
    interview = created.json()
    interview_ids = {interview["id"]}
    # The voice agent learns the interview from Kafka, as in production.
    await eventually(
        lambda: _copied(drill, interview["id"]),
        within=60,
        what="the voice agent's copy of the interview",
    )
    session_ids = []
    for _ in range(6):
        started = await drill.voice.post(
            f"/interviews/{interview['id']}/sessions", headers=ada.headers
        )
        assert started.status_code == 201, started.text
        session_ids.append(started.json()["session_id"])
    finished, walked_away, never_started = session_ids[:2], session_ids[2:4], session_ids[4:]
    first_question = interview["questions"][0]["question_id"]
    worker = SerialSessionStore(drill.sessions)
    for session_id in finished + walked_away:
        assert await worker.activate(session_id, f"worker-{session_id}", drill.clock())
    turns = [
        turn(0, "interviewer", "greeting", None),
        turn(1, "interviewer", "question", first_question),
        turn(2, "candidate", "answer", first_question),
    ]

    try:
        await asyncio.to_thread(stack.down, "kafka")
        went_down = time.monotonic()
        # Interviews keep being created...
        for count in (1, 2, 3):
            response = await drill.builder.post(
                "/interviews", json={**INTERVIEW, "question_count": count}, headers=ada.headers
            )
            assert response.status_code == 201, response.text
            interview_ids.add(response.json()["id"])
        # ...the interviewer finishes two interviews, as the worker does at the closing line...
        for session_id in finished:
            for index, line in enumerate(turns):
                assert await worker.append_turn(session_id, line, line.question_id, index=index)
            assert await worker.finish(session_id, "completed", drill.clock())
        # ...two workers die and their candidates never come back...
        sweeper = drill.voice_app.state.sweeper
        drill.clock.offset = timedelta(seconds=WORKER_TIMEOUT_S + 1)
        assert set((await sweeper.sweep_once()).interrupted) == set(walked_away)
        drill.clock.offset = timedelta(seconds=START_TIMEOUT_S + GRACE_PERIOD_S + 2)
        swept = await sweeper.sweep_once()
        # ...and two sessions are never picked up by any worker.
        assert set(swept.ended_early) == set(walked_away)
        assert set(swept.failed) == set(never_started)
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - went_down)))
    finally:
        restarting = time.monotonic()
        # Always bring Kafka back, even when the test failed.
        await asyncio.to_thread(stack.up, "kafka")
    back = time.monotonic()
    stopped_s, restart_s = restarting - went_down, back - restarting

    announced_sessions = await read_by(
        drill.sessions_read, "session_id", set(session_ids), within=DELIVERED_WITHIN_S
    )
    sessions_s = time.monotonic() - back
    announced_interviews = await read_by(
        drill.interviews_read, "id", interview_ids, within=DELIVERED_WITHIN_S
    )

    by_session = Counter(v["data"]["session_id"] for v in announced_sessions)
    assert by_session == Counter(dict.fromkeys(session_ids, 1))
    assert Counter(v["data"]["id"] for v in announced_interviews) == Counter(
        dict.fromkeys(interview_ids, 1)
    )
    outcome = {v["data"]["session_id"]: v["data"]["outcome"] for v in announced_sessions}
    assert [outcome[s] for s in session_ids] == [
        "completed",
        "completed",
        "ended_early",
        "ended_early",
        "failed",
        "failed",
    ]
    # The transcript travels with the event: what the worker stored is what was announced.
    for value in announced_sessions:
        stored = value["data"]["turns"]
        expected = turns if value["data"]["session_id"] in finished else []
        assert [Turn.model_validate(t) for t in stored] == expected
    print(
        f"\nKafka outage drill: Kafka stopped for {stopped_s:.1f}s, then {restart_s:.1f}s until it "
        f"answered again; meanwhile 3 interviews created and "
        f"6 sessions ended (2 completed, 2 ended_early, 2 failed); after it returned every "
        f"SessionCompleted arrived within {sessions_s:.1f}s; "
        f"{len(announced_sessions)} SessionCompleted for {len(session_ids)} sessions, "
        f"{len(announced_interviews)} InterviewCreated for {len(interview_ids)} interviews"
    )


async def _copied(drill: Drill, interview_id: str) -> bool:
    return await drill.interviews.get(interview_id) is not None
