"""Poison records on every topic go to ``<topic>.dlq`` while the consumer keeps handling events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from common.events import FeedbackReady, InterviewCreated, SessionCompleted
from common.events.envelope import EventEnvelope
from common.events.topics import dlq_topic
from common.messaging import EventConsumer, EventPublisher, RetryPolicy, create_broker, subscribe
from common.testing.messaging import InMemoryProcessedEvents
from history.testing import Attempt, feedback_ready, interview_created, session_completed
from tests.integration.servers import Servers

pytestmark = pytest.mark.integration

MAX_RECORD_BYTES = 64 * 1024
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _attempt(n: int) -> Attempt:
    return Attempt(f"s-{n}", f"i-{n}", AT, 70)


# One valid-event builder per topic; the consumer under test validates against its type.
VALID: dict[type[EventEnvelope], Callable[[str, int], EventEnvelope]] = {
    InterviewCreated: lambda user, n: interview_created(user, f"i-{n}", at=AT),
    SessionCompleted: lambda user, n: session_completed(user, _attempt(n)),
    FeedbackReady: lambda user, n: feedback_ready(user, _attempt(n)),
}


class Handled:
    """The events the consumer's handler saw, in order."""

    def __init__(self) -> None:
        self.events: list[EventEnvelope] = []

    async def __call__(self, event: EventEnvelope) -> None:
        self.events.append(event)


async def _read(servers: Servers, topic: str, expected: int, within: float = 45) -> list[Any]:
    reader = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=f"resilience-reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await reader.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(within):
            while len(found) < expected:
                batch = await reader.getmany(timeout_ms=500)
                for records in batch.values():
                    found.extend(records)
    finally:
        await reader.stop()
    return found


async def _until(condition: Callable[[], bool], within: float = 45) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling a plain predicate is the point
            await asyncio.sleep(0.1)


def _oversized(event: EventEnvelope) -> bytes:
    # Valid in every way except its size: only the limit can have refused it.
    value = event.to_record_value()
    value["padding"] = "x" * (MAX_RECORD_BYTES * 2)
    return json.dumps(value).encode()


@pytest.mark.parametrize("event_type", list(VALID), ids=lambda t: t.topic)
async def test_poison_records_are_dead_lettered_and_good_ones_still_handled(
    servers: Servers, event_type: type[EventEnvelope]
) -> None:
    # A private copy of the topic: no other consumer or test sees these records.
    topic = f"{event_type.topic}.resilience-{uuid.uuid4().hex[:12]}"
    user = f"user-{uuid.uuid4().hex[:8]}"
    build = VALID[event_type]
    poison = {
        "malformed": b'{"event_id": "not closed',
        "wrong_schema": json.dumps({"event_id": str(uuid.uuid4()), "data": {"n": 1}}).encode(),
        "oversized": _oversized(build(user, 99)),
    }
    before, after = build(user, 1), build(user, 2)

    broker = create_broker(servers.kafka_bootstrap_servers, service="resilience")
    publisher = EventPublisher(broker)
    handled = Handled()
    consumer: EventConsumer[Any] = EventConsumer(
        event_type,
        handled,
        consumer="resilience",
        processed=InMemoryProcessedEvents(),
        dead_letters=publisher.publish_raw,
        retry=RetryPolicy(max_attempts=2, first_backoff_s=0.05),
        max_record_bytes=MAX_RECORD_BYTES,
        topic=topic,
    )
    subscribe(broker, consumer, group_id=f"resilience-{topic}")
    key = user.encode()
    async with broker:
        await broker.start()
        for value in poison.values():
            await publisher.publish_raw(value, topic=topic, key=key, headers={})
        await publisher.publish_record(topic, user, before.to_record_value(), {})
        await _until(lambda: len(handled.events) == 1)
        # Still consuming after the poison: a record published now is handled too.
        await publisher.publish_record(topic, user, after.to_record_value(), {})
        await _until(lambda: len(handled.events) == 2)

    assert [e.event_id for e in handled.events] == [before.event_id, after.event_id]
    letters = await _read(servers, dlq_topic(topic), expected=3)
    bodies = [json.loads(record.value) for record in letters]
    assert [b["original_topic"] for b in bodies] == [topic] * 3
    assert [b["attempts"] for b in bodies] == [1, 1, 1]
    assert [b["original_key"] for b in bodies] == [user] * 3
    malformed, wrong_schema, oversized = bodies
    assert malformed["error"].startswith("invalid event")
    assert malformed["original_value"] == poison["malformed"].decode()
    assert wrong_schema["error"].startswith("invalid event")
    assert "data" in wrong_schema["error"]
    assert oversized["error"] == (
        f"record of {len(poison['oversized'])} bytes exceeds {MAX_RECORD_BYTES} bytes"
    )
    headers = {k: v.decode() for k, v in letters[2].headers}
    assert headers["x-mocksy-attempts"] == "1"
    assert headers["x-mocksy-error"].startswith("record of")
