"""Consumers: retries, dead letters, idempotency, and the wiring on FastStream's test broker."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from prometheus_client import CollectorRegistry

from common.events import CategoryScore, Feedback, FeedbackReady, ScorerInfo
from common.events.models import CATEGORIES
from common.messaging import (
    ConsumerMetrics,
    EventConsumer,
    EventPublisher,
    RawRecord,
    RetryPolicy,
    create_broker,
    subscribe,
)
from common.testing.messaging import InMemoryProcessedEvents, RecordingPublisher

NO_WAIT = RetryPolicy(max_attempts=3, first_backoff_s=0.0)


def feedback_event(user_id: str = "user-1") -> FeedbackReady:
    return FeedbackReady(
        data=Feedback(
            feedback_id="f-1",
            session_id="s-1",
            interview_id="i-1",
            user_id=user_id,
            created_at=datetime(2026, 11, 25, tzinfo=UTC),
            gradable=True,
            overall_score=80,
            categories={c: CategoryScore(score=80, rationale="ok") for c in CATEGORIES},
            scorer=ScorerInfo(engine="offline-rubric", version="1"),
        )
    )


def record_of(event: FeedbackReady, offset: int = 0) -> RawRecord:
    return RawRecord(
        topic=event.topic,
        partition=0,
        offset=offset,
        key=event.key.encode(),
        value=json.dumps(event.to_record_value()).encode(),
    )


class FlakyHandler:
    """Fails a given number of times, then records the events it handled."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.handled: list[FeedbackReady] = []

    async def __call__(self, event: FeedbackReady) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"downstream unavailable (call {self.calls})")
        self.handled.append(event)


def make_consumer(
    handler: FlakyHandler, dead: RecordingPublisher, registry: CollectorRegistry | None = None
) -> EventConsumer[FeedbackReady]:
    return EventConsumer(
        FeedbackReady,
        handler,
        consumer="history",
        processed=InMemoryProcessedEvents(),
        dead_letters=dead,
        retry=NO_WAIT,
        metrics=ConsumerMetrics("history", registry or CollectorRegistry()),
    )


async def test_a_transient_failure_is_retried_and_processed_once() -> None:
    handler, dead = FlakyHandler(failures=2), RecordingPublisher()
    outcome = await make_consumer(handler, dead).handle_record(record_of(feedback_event()))
    assert outcome == "processed"
    assert handler.calls == 3
    assert len(handler.handled) == 1
    assert dead.sent == []


async def test_after_max_attempts_the_record_goes_to_the_dlq_with_error_and_attempts() -> None:
    handler, dead = FlakyHandler(failures=10), RecordingPublisher()
    event = feedback_event()
    outcome = await make_consumer(handler, dead).handle_record(record_of(event, offset=41))
    assert outcome == "dead_lettered"
    assert handler.calls == 3
    [letter] = dead.sent
    assert letter.topic == "mocksy.feedback.ready.v1.dlq"
    assert letter.key == b"user-1"
    body = json.loads(letter.value)
    assert body["attempts"] == 3
    assert "downstream unavailable (call 3)" in body["error"]
    assert body["original_offset"] == 41
    assert json.loads(body["original_value"])["event_id"] == str(event.event_id)
    assert letter.headers["x-mocksy-attempts"] == "3"


async def test_a_redelivered_event_is_not_processed_twice() -> None:
    handler, dead = FlakyHandler(failures=0), RecordingPublisher()
    consumer = make_consumer(handler, dead)
    record = record_of(feedback_event())
    assert await consumer.handle_record(record) == "processed"
    assert await consumer.handle_record(record) == "duplicate"
    assert handler.calls == 1


async def test_a_dead_lettered_event_is_not_retried_on_redelivery() -> None:
    handler, dead = FlakyHandler(failures=3), RecordingPublisher()
    consumer = make_consumer(handler, dead)
    record = record_of(feedback_event())
    assert await consumer.handle_record(record) == "dead_lettered"
    # Redelivery after a crash between the DLQ write and the commit runs the handler again:
    # dead-lettering is not "processed", so a fixed downstream gets its chance.
    assert await consumer.handle_record(record) == "processed"


class DatabaseRestart:
    """A handler whose database is down for a number of calls, then answers."""

    def __init__(self, calls_down: int) -> None:
        self.calls_down = calls_down
        self.calls = 0
        self.handled: list[FeedbackReady] = []

    async def __call__(self, event: FeedbackReady) -> None:
        self.calls += 1
        if self.calls <= self.calls_down:
            raise ConnectionRefusedError("database not answering")
        self.handled.append(event)


async def test_a_database_outage_longer_than_the_retries_delays_the_event_but_never_dlqs() -> None:
    restart, dead = DatabaseRestart(calls_down=10), RecordingPublisher()
    consumer = EventConsumer(
        FeedbackReady,
        restart,
        consumer="history",
        processed=InMemoryProcessedEvents(),
        dead_letters=dead,
        retry=NO_WAIT,
        outage_errors=(ConnectionRefusedError,),
    )
    outcome = await consumer.handle_record(record_of(feedback_event()))
    assert outcome == "processed"
    assert restart.calls == 11
    assert len(restart.handled) == 1
    assert dead.sent == []


class LedgerDuringRestart(InMemoryProcessedEvents):
    """The idempotency ledger, unreachable for its first few calls."""

    def __init__(self, calls_down: int) -> None:
        super().__init__()
        self.calls_down = calls_down

    async def seen(self, event_id: str, consumer: str) -> bool:
        if self.calls_down > 0:
            self.calls_down -= 1
            raise ConnectionRefusedError("database not answering")
        return await super().seen(event_id, consumer)


async def test_an_unreachable_ledger_delays_the_event_instead_of_failing_it() -> None:
    handler, dead = FlakyHandler(failures=0), RecordingPublisher()
    ledger = LedgerDuringRestart(calls_down=4)
    consumer = EventConsumer(
        FeedbackReady,
        handler,
        consumer="history",
        processed=ledger,
        dead_letters=dead,
        retry=NO_WAIT,
        outage_errors=(ConnectionRefusedError,),
    )
    record = record_of(feedback_event())
    assert await consumer.handle_record(record) == "processed"
    assert await consumer.handle_record(record) == "duplicate"
    assert handler.calls == 1
    assert dead.sent == []


async def test_a_broken_record_still_goes_to_the_dlq_when_outages_are_tolerated() -> None:
    handler, dead = FlakyHandler(failures=10), RecordingPublisher()
    consumer = EventConsumer(
        FeedbackReady,
        handler,
        consumer="history",
        processed=InMemoryProcessedEvents(),
        dead_letters=dead,
        retry=NO_WAIT,
        outage_errors=(ConnectionRefusedError,),
    )
    assert await consumer.handle_record(record_of(feedback_event())) == "dead_lettered"
    assert handler.calls == 3


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "invalid event"),
        (b'{"event_type": "FeedbackReady", "data": {"user_id": "u"}}', "data.feedback_id"),
        (b"\xff\xfe binary", "invalid event"),
    ],
)
async def test_a_malformed_record_goes_straight_to_the_dlq(value: bytes, reason: str) -> None:
    handler, dead = FlakyHandler(failures=0), RecordingPublisher()
    record = RawRecord("mocksy.feedback.ready.v1", 0, 7, None, value)
    assert await make_consumer(handler, dead).handle_record(record) == "malformed"
    assert handler.calls == 0
    [letter] = dead.sent
    body = json.loads(letter.value)
    assert reason in body["error"]
    assert body["attempts"] == 1


async def test_an_oversized_record_is_dead_lettered_and_truncated() -> None:
    handler, dead = FlakyHandler(failures=0), RecordingPublisher()
    consumer = make_consumer(handler, dead)
    consumer.max_record_bytes = 1000
    record = RawRecord("mocksy.feedback.ready.v1", 0, 1, b"u", b"x" * 600_000)
    assert await consumer.handle_record(record) == "malformed"
    body = json.loads(dead.sent[0].value)
    assert "exceeds 1000 bytes" in body["error"]
    assert body["original_value_truncated"] is True
    assert len(dead.sent[0].value) < 1024 * 1024


async def test_when_the_dlq_is_unreachable_the_record_is_not_settled() -> None:
    handler, dead = FlakyHandler(failures=10), RecordingPublisher(failures_left=1)
    consumer = make_consumer(handler, dead)
    with pytest.raises(ConnectionError):
        await consumer.handle_record(record_of(feedback_event()))
    # The next delivery settles it.
    assert await consumer.handle_record(record_of(feedback_event())) == "dead_lettered"


async def test_outcomes_are_counted_in_prometheus() -> None:
    registry = CollectorRegistry()
    consumer = make_consumer(FlakyHandler(failures=1), RecordingPublisher(), registry)
    record = record_of(feedback_event())
    await consumer.handle_record(record)
    await consumer.handle_record(record)

    def count(outcome: str) -> float | None:
        return registry.get_sample_value(
            "mocksy_history_events_consumed_total",
            {"topic": "mocksy.feedback.ready.v1", "outcome": outcome},
        )

    assert count("processed") == 1
    assert count("duplicate") == 1
    assert count("retried") == 1


async def test_published_events_reach_the_consumer_through_the_broker() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    handler = FlakyHandler(failures=0)
    dead_letters: list[dict[str, object]] = []
    consumer = EventConsumer(
        FeedbackReady,
        handler,
        consumer="history",
        processed=InMemoryProcessedEvents(),
        dead_letters=EventPublisher(broker).publish_raw,
        retry=NO_WAIT,
    )
    subscribe(broker, consumer, group_id="history")

    @broker.subscriber("mocksy.feedback.ready.v1.dlq", group_id="ops")
    async def on_dead_letter(letter: dict[str, object]) -> None:
        dead_letters.append(letter)

    async with TestKafkaBroker(broker) as test_broker:
        publisher = EventPublisher(test_broker)
        event = feedback_event()
        await publisher.publish(event)
        await publisher.publish(event)  # a producer retry: the same event twice
        await test_broker.publish(b"garbage", topic="mocksy.feedback.ready.v1", key=b"u")
        await asyncio.sleep(0)

    assert [e.event_id for e in handler.handled] == [event.event_id]
    assert handler.handled[0] == event
    assert len(dead_letters) == 1
    assert dead_letters[0]["original_value"] == "garbage"


async def test_the_broker_reports_prometheus_metrics_with_the_service_prefix() -> None:
    registry = CollectorRegistry()
    broker = create_broker("127.0.0.1:1", service="history", registry=registry)
    received: list[dict[str, object]] = []

    @broker.subscriber("mocksy.feedback.ready.v1", group_id="history")
    async def on_record(body: dict[str, object]) -> None:
        received.append(body)

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish({"event_type": "FeedbackReady"}, topic="mocksy.feedback.ready.v1")

    assert received
    names = {metric.name for metric in registry.collect()}
    assert any(name.startswith("mocksy_history_broker_") for name in names), sorted(names)
    consumed = [
        sample
        for metric in registry.collect()
        if metric.name.startswith("mocksy_history_broker_received_messages")
        for sample in metric.samples
        if sample.name.endswith("_total")
    ]
    assert consumed
    assert consumed[0].value >= 1
