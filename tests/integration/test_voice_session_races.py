"""Concurrent writes to one voice session on the real MongoDB-compatible server lose nothing.

FerretDB 1.x applies an update by reading and rewriting the whole document, so two updates of
one document at once can lose one (conditional filters included). The worker appends turns and
heartbeats while the sessions API and the sweeper change the session's state, each through its
own connection, all at once: every turn and every state change that reported success must be
stored, and a session raced to its end by the worker and the sweeper is announced once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.events import InterviewSpec, Question, SessionCompleted, Turn
from common.mongo import OUTBOX_FIELD, open_client
from tests.integration.servers import Servers
from voice_agent.repository import MongoSessionStore, SessionRecord

pytestmark = pytest.mark.integration

TURNS = 24
WORKER = "worker-race"


def spec() -> InterviewSpec:
    return InterviewSpec(
        role="backend",
        interview_type="technical",
        level="mid",
        tech_stack=["python"],
        questions=[
            Question(
                question_id="q1",
                text="How would you find duplicate values in a very large list?",
                kind="technical",
                topic="algorithms",
                key_points=["Uses a hash set"],
            )
        ],
    )


def turn(n: int) -> Turn:
    return Turn(
        speaker="candidate" if n % 2 else "interviewer",
        text=f"line {n}",
        start_ms=n * 1_000,
        end_ms=n * 1_000 + 800,
        question_id="q1",
        kind="answer" if n % 2 else "question",
    )


@pytest.fixture
async def stores(servers: Servers) -> AsyncIterator[tuple[MongoSessionStore, MongoSessionStore]]:
    """The worker's and the API's stores: the same database through two connections."""
    database = f"voice_race_{uuid.uuid4().hex[:8]}"
    async with (
        open_client(servers.mongodb_uri, "race-worker") as worker,
        open_client(servers.mongodb_uri, "race-api") as api,
    ):
        try:
            yield (
                MongoSessionStore(worker[database]["sessions"]),
                MongoSessionStore(api[database]["sessions"]),
            )
        finally:
            await api.drop_database(database)


async def new_session(store: MongoSessionStore) -> str:
    session_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    await store.create(
        SessionRecord(
            session_id=session_id,
            user_id="user-race",
            interview_id="interview-race",
            room=f"mocksy-{session_id}",
            state="created",
            interview=spec(),
            seed=1,
            created_at=now,
            state_changed_at=now,
        )
    )
    return session_id


async def changes(store: MongoSessionStore, session_id: str) -> list[dict[str, Any]]:
    found = []
    version = 1
    while document := await store.changes.find_one({"_id": f"{session_id}:v{version:05d}"}):
        found.append(document)
        version += 1
    return found


async def test_turns_and_state_changes_written_at_once_are_all_kept(
    stores: tuple[MongoSessionStore, MongoSessionStore],
) -> None:
    worker, api = stores
    session_id = await new_session(api)
    assert await worker.activate(session_id, WORKER, datetime.now(UTC))
    state_changes = 0

    async def worker_speaks() -> None:
        for n in range(TURNS):
            assert await worker.append_turn(session_id, turn(n), "q1", index=n)
            if n % 4 == 0:
                assert await worker.heartbeat(session_id, WORKER, datetime.now(UTC))

    async def api_resumes() -> None:
        nonlocal state_changes
        for _ in range(TURNS // 2):
            # A resume restarts the grace period; the worker takes the session back.
            if await api.set_state(session_id, "interrupted", at=datetime.now(UTC)):
                state_changes += 1
            if await api.activate(session_id, WORKER, datetime.now(UTC)):
                state_changes += 1

    await asyncio.gather(worker_speaks(), api_resumes())

    record = await api.get(session_id)
    assert record is not None
    assert list(record.turns) == [turn(n) for n in range(TURNS)]
    log = await changes(api, session_id)
    # The first activation, then every change the API was told had been made.
    assert len(log) == 1 + state_changes
    assert state_changes == TURNS
    assert record.state == "active"
    # The session document's copy of the state caught up with the last change.
    document = await api.collection.find_one({"_id": session_id})
    assert document is not None
    assert (document["state"], document["version"]) == ("active", len(log))


async def test_a_session_finished_by_the_worker_and_the_sweeper_at_once_is_announced_once(
    stores: tuple[MongoSessionStore, MongoSessionStore],
) -> None:
    worker, sweeper = stores
    for _ in range(3):
        session_id = await new_session(sweeper)
        await worker.activate(session_id, WORKER, datetime.now(UTC))
        for n in range(6):
            await worker.append_turn(session_id, turn(n), "q1", index=n)
        ended = datetime.now(UTC)

        results = await asyncio.gather(
            worker.finish(session_id, "completed", ended),
            sweeper.finish(session_id, "ended_early", ended + timedelta(seconds=1)),
            worker.set_state(session_id, "interrupted", at=ended),
        )

        assert sorted(results[:2]) == [False, True]
        events = [
            SessionCompleted.model_validate(entry["value"])
            for document in await changes(sweeper, session_id)
            for entry in document.get(OUTBOX_FIELD, [])
        ]
        (event,) = events
        assert event.data.turns == [turn(n) for n in range(6)]
        record = await sweeper.get(session_id)
        assert record is not None
        assert record.state == event.data.outcome
