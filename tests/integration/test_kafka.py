"""common.messaging against the real Kafka: groups, redelivery after a crash, dead letters."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from common.events import CategoryScore, Feedback, FeedbackReady, ScorerInfo
from common.events.models import CATEGORIES
from common.messaging import EventConsumer, EventPublisher, RetryPolicy, create_broker, subscribe
from common.testing.messaging import InMemoryProcessedEvents
from tests.integration.servers import Servers


def feedback(n: int, user_id: str) -> FeedbackReady:
    return FeedbackReady(
        data=Feedback(
            feedback_id=f"f-{n}",
            session_id=f"s-{n}",
            interview_id="i-1",
            user_id=user_id,
            created_at=datetime.now(UTC),
            gradable=True,
            overall_score=50 + n,
            categories={c: CategoryScore(score=50, rationale="r") for c in CATEGORIES},
            scorer=ScorerInfo(engine="offline-rubric", version="test"),
        )
    )


async def publish_to(servers: Servers, topic: str, events: list[FeedbackReady]) -> None:
    broker = create_broker(servers.kafka_bootstrap_servers, service="test-producer")
    async with broker:
        await broker.start()
        publisher = EventPublisher(broker)
        for event in events:
            value = event.to_record_value()
            await publisher.publish_record(topic, event.key, value, {})


async def read_all(servers: Servers, topic: str, expected: int, within: float = 30) -> list[dict]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[dict] = []
    try:
        async with asyncio.timeout(within):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    found.extend(json.loads(r.value) for r in records)
    finally:
        await consumer.stop()
    return found


class Collector:
    def __init__(self, block_first: bool = False) -> None:
        self.handled: list[FeedbackReady] = []
        self.block_first = block_first
        self.entered = asyncio.Event()

    async def __call__(self, event: FeedbackReady) -> None:
        self.entered.set()
        if self.block_first:
            await asyncio.sleep(3600)  # "crashes" here: the broker is stopped under it
        self.handled.append(event)


def consumer_broker(
    servers: Servers,
    topic: str,
    handler: Collector,
    processed: InMemoryProcessedEvents,
    graceful_timeout: float = 15.0,
) -> KafkaBroker:
    broker = create_broker(
        servers.kafka_bootstrap_servers, service="test-consumer", graceful_timeout=graceful_timeout
    )
    broker_consumer = EventConsumer(
        FeedbackReady,
        handler,
        consumer="it",
        processed=processed,
        dead_letters=EventPublisher(broker).publish_raw,
        retry=RetryPolicy(max_attempts=2, first_backoff_s=0.05),
        topic=topic,
    )
    subscribe(broker, broker_consumer, group_id=f"group-{topic}")
    return broker


async def wait_for(condition: Callable[[], bool], within: float = 30) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling a plain predicate is the point
            await asyncio.sleep(0.1)


async def test_events_flow_through_a_consumer_group(servers: Servers) -> None:
    topic = f"it.{uuid.uuid4().hex}.feedback"
    user = f"user-{uuid.uuid4().hex[:8]}"
    events = [feedback(n, user) for n in range(5)]
    await publish_to(servers, topic, events)

    handler = Collector()
    broker = consumer_broker(servers, topic, handler, InMemoryProcessedEvents())
    async with broker:
        await broker.start()
        await wait_for(lambda: len(handler.handled) == 5)
    assert [e.data.overall_score for e in handler.handled] == [50, 51, 52, 53, 54]
    assert handler.handled[0] == events[0]


async def test_a_record_is_redelivered_after_a_crash_before_commit(servers: Servers) -> None:
    topic = f"it.{uuid.uuid4().hex}.feedback"
    event = feedback(1, "user-crash")
    await publish_to(servers, topic, [event])
    processed = InMemoryProcessedEvents()

    crashing = Collector(block_first=True)
    # A short grace period: stop() cancels the stuck handler instead of waiting for it.
    broker = consumer_broker(servers, topic, crashing, processed, graceful_timeout=0.5)
    await broker.start()
    await asyncio.wait_for(crashing.entered.wait(), 30)
    await broker.stop()  # the handler never finished, so the offset was never committed
    assert crashing.handled == []

    recovered = Collector()
    broker = consumer_broker(servers, topic, recovered, processed)
    async with broker:
        await broker.start()
        await wait_for(lambda: len(recovered.handled) == 1)
    assert recovered.handled[0].event_id == event.event_id


async def test_a_poisoned_record_goes_to_the_dlq_and_later_records_still_flow(
    servers: Servers,
) -> None:
    topic = f"it.{uuid.uuid4().hex}.feedback"
    user = "user-poison"
    producer = create_broker(servers.kafka_bootstrap_servers, service="test-producer")
    async with producer:
        await producer.start()
        await producer.publish(b'{"event_type": "FeedbackReady"', topic=topic, key=user.encode())
    good = [feedback(n, user) for n in range(3)]
    await publish_to(servers, topic, good)

    handler = Collector()
    broker = consumer_broker(servers, topic, handler, InMemoryProcessedEvents())
    async with broker:
        await broker.start()
        await wait_for(lambda: len(handler.handled) == 3)
    [letter] = await read_all(servers, f"{topic}.dlq", expected=1)
    assert letter["original_value"] == '{"event_type": "FeedbackReady"'
    assert letter["original_key"] == user
    assert letter["attempts"] == 1
    assert "invalid event" in letter["error"]
