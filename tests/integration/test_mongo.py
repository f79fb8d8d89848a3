"""common.mongo against a real server: FerretDB 1.x (local stack) or MongoDB 7."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from common.events import Interview, InterviewCreated, Question
from common.mongo import (
    OUTBOX_INDEX,
    IndexSpec,
    OutboxRelay,
    ProcessedEvents,
    create_client,
    ensure_indexes,
    outbox_entry,
    ping,
    push_to_outbox,
    with_outbox,
)
from common.testing.outbox import FakePublisher

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def mongodb_uri() -> str:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        return uri
    reason = "MONGODB_URI is not set (start the local stack and `source .stack/env`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; integration tests must not be skipped in CI")
    pytest.skip(reason)


@pytest.fixture
async def database(mongodb_uri: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client = create_client(mongodb_uri, "mocksy-common-tests")
    name = f"mocksy_common_test_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


def interview_created(user_id: str = "user-1", interview_id: str = "int-1") -> InterviewCreated:
    question = Question(
        question_id="q1",
        text="How would you design a rate limiter?",
        kind="technical",
        topic="system design",
        key_points=["token bucket", "per-user keys", "distributed counters"],
    )
    return InterviewCreated(
        data=Interview(
            id=interview_id,
            user_id=user_id,
            role="backend",
            interview_type="technical",
            level="senior",
            tech_stack=["python", "redis"],
            questions=[question],
            created_at=NOW,
            source="api",
        )
    )


async def pending_ids(database: AsyncDatabase[dict[str, Any]], name: str) -> list[str]:
    return [
        entry["event_id"]
        async for document in database[name].find({})
        for entry in document.get("outbox", [])
    ]


async def test_ping(mongodb_uri: str) -> None:
    client = create_client(mongodb_uri, "mocksy-common-tests")
    try:
        assert await ping(client) is True
    finally:
        await client.close()


async def test_unique_index_is_created_once_and_enforced(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    specs = [IndexSpec.on("user_id", "interview_id", name="user_interview_unique", unique=True)]
    attempts = database["attempts"]

    await ensure_indexes(attempts, specs)
    await ensure_indexes(attempts, specs)
    await attempts.insert_one({"user_id": "u1", "interview_id": "i1"})

    with pytest.raises(DuplicateKeyError):
        await attempts.insert_one({"user_id": "u1", "interview_id": "i1"})
    assert "user_interview_unique" in await attempts.index_information()


async def test_processed_events_let_each_event_through_once(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    ledger = ProcessedEvents(database["processed_events"])
    await ledger.ensure_indexes()
    event_id = uuid.uuid4()

    assert await ledger.claim(event_id, "history") is True
    assert await ledger.claim(event_id, "history") is False
    assert await ledger.claim(event_id, "scoring") is True

    await ledger.release(event_id, "scoring")
    assert await ledger.claim(event_id, "scoring") is True


async def test_abandoned_claim_is_taken_over_after_the_lease(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    now = [NOW]
    ledger = ProcessedEvents(
        database["processed_events"], lease=timedelta(minutes=10), clock=lambda: now[0]
    )
    await ledger.ensure_indexes()
    event_id = uuid.uuid4()
    await ledger.claim(event_id, "scoring")

    now[0] += timedelta(minutes=11)

    assert await ledger.claim(event_id, "scoring") is True
    assert await ledger.claim(event_id, "scoring") is False


async def test_seen_and_mark(database: AsyncDatabase[dict[str, Any]]) -> None:
    ledger = ProcessedEvents(database["processed_events"])
    await ledger.ensure_indexes()
    event_id = str(uuid.uuid4())

    assert await ledger.seen(event_id, "history") is False
    await ledger.mark(event_id, "history")
    await ledger.mark(event_id, "history")

    assert await ledger.seen(event_id, "history") is True
    assert await database["processed_events"].count_documents({"event_id": event_id}) == 1


async def test_relay_publishes_and_removes_entries_written_with_the_change(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    interviews = database["interviews"]
    await ensure_indexes(interviews, [OUTBOX_INDEX])
    created, updated = interview_created(), interview_created()
    await interviews.insert_one(with_outbox({"_id": "int-1", "status": "draft"}, created))
    await interviews.insert_one({"_id": "int-2", "status": "draft"})
    await interviews.update_one(
        {"_id": "int-2"}, push_to_outbox(updated, update={"$set": {"status": "ready"}})
    )
    await interviews.insert_one({"_id": "int-3", "status": "ready", "outbox": []})
    broker = FakePublisher()

    result = await OutboxRelay([interviews], broker).run_once()

    assert (result.published, result.documents) == (2, 2)
    assert sorted(r.value["event_id"] for r in broker.published) == sorted(
        [str(created.event_id), str(updated.event_id)]
    )
    assert await pending_ids(database, "interviews") == []
    document = await interviews.find_one({"_id": "int-2"})
    assert document is not None
    assert document["status"] == "ready"


async def test_relay_keeps_entries_while_the_broker_is_down(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    interviews = database["interviews"]
    event = interview_created()
    await interviews.insert_one(with_outbox({"_id": "int-1"}, event))
    broker = FakePublisher()
    relay = OutboxRelay([interviews], broker)

    broker.fail()
    assert (await relay.run_once()).failed == 1
    assert await pending_ids(database, "interviews") == [str(event.event_id)]

    broker.recover()
    assert (await relay.run_once()).published == 1
    assert await pending_ids(database, "interviews") == []
    assert InterviewCreated.model_validate(broker.published[0].value) == event


async def test_entry_survives_the_round_trip_exactly_so_it_can_be_removed(
    database: AsyncDatabase[dict[str, Any]],
) -> None:
    # Removal matches the whole stored entry; microseconds, floats, nulls, booleans and lists
    # of documents must come back from the server exactly as the relay sends them back.
    # (FerretDB 1.x refuses arrays directly inside arrays, so none appear here.)
    interviews = database["interviews"]
    entry = outbox_entry(interview_created(), now=datetime.now(UTC))
    entry["value"]["data"]["extra"] = {
        "ratio": 0.1,
        "none": None,
        "items": [{"n": 1}, "a", True, 2**40],
    }
    await interviews.insert_one({"_id": "int-1", "outbox": [entry]})
    broker = FakePublisher()

    await OutboxRelay([interviews], broker).run_once()

    assert len(broker.published) == 1
    assert await pending_ids(database, "interviews") == []
