"""SessionCompleted in, one stored feedback and one FeedbackReady out, however often it comes.

The real consumer (idempotency ledger, retries, DLQ), service, repository and outbox relay run
over in-memory collections and a recording publisher.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from common.events import FeedbackReady, SessionCompleted, Transcript
from common.messaging import EventConsumer, RawRecord, RetryPolicy
from common.mongo import OutboxRelay
from common.observability import ServiceMetrics
from common.testing.messaging import InMemoryProcessedEvents, RecordingPublisher
from common.testing.mongo import InMemoryCollection
from common.testing.outbox import FakePublisher
from scoring.domain.rubric import RubricScorer
from scoring.metrics import ScoringMetrics
from scoring.repository import MongoFeedbackRepository, PendingFeedback
from scoring.scorer import SessionScorer
from scoring.service import ScoringService
from services.scoring.tests.conftest import InterviewKit


class Database(dict[str, InMemoryCollection]):
    """Collections created on first use, like a MongoDB database."""

    def __missing__(self, name: str) -> InMemoryCollection:
        self[name] = InMemoryCollection(name)
        return self[name]


@dataclass
class Pipeline:
    collection: InMemoryCollection
    pending: InMemoryCollection
    consumer: EventConsumer[SessionCompleted]
    relay: OutboxRelay
    broker: FakePublisher
    dead_letters: RecordingPublisher
    registry: CollectorRegistry

    def feedback_count(self, engine: str = "offline-rubric", gradable: str = "true") -> float:
        value = self.registry.get_sample_value(
            "mocksy_scoring_feedback_total", {"engine": engine, "gradable": gradable}
        )
        return value or 0.0


@pytest.fixture
async def pipeline() -> Pipeline:
    database = Database()
    repository = MongoFeedbackRepository.in_database(database)
    await repository.ensure_indexes()
    base = ServiceMetrics("scoring")
    service = ScoringService(repository, SessionScorer(RubricScorer()), ScoringMetrics(base))
    dead_letters = RecordingPublisher()
    consumer = EventConsumer(
        SessionCompleted,
        service.session_completed,
        consumer="scoring.session-completed",
        processed=InMemoryProcessedEvents(),
        dead_letters=dead_letters,
        retry=RetryPolicy(max_attempts=2, first_backoff_s=0.0),
    )
    broker = FakePublisher()
    relay = OutboxRelay([repository.outbox], broker, poll_interval=0.01)
    return Pipeline(
        database["feedback"],
        database["feedback_pending"],
        consumer,
        relay,
        broker,
        dead_letters,
        base.registry,
    )


def record(event: SessionCompleted, offset: int = 0) -> RawRecord:
    return RawRecord(
        topic=event.topic,
        partition=0,
        offset=offset,
        key=event.key.encode(),
        value=json.dumps(event.to_record_value()).encode(),
    )


def again(event: SessionCompleted) -> SessionCompleted:
    """The same session sent anew by a producer that retried: a new event id."""
    return event.model_copy(update={"event_id": uuid.uuid4()})


def nested_arrays(value: Any) -> bool:
    """Whether an array sits directly inside an array anywhere (FerretDB refuses those)."""
    if isinstance(value, dict):
        return any(nested_arrays(v) for v in value.values())
    if isinstance(value, list):
        return any(isinstance(v, list) or nested_arrays(v) for v in value)
    return False


@pytest.fixture
def transcript(kit: InterviewKit) -> Transcript:
    return kit.answered(session_id="sess-dup").build()


async def test_a_session_delivered_three_times_yields_one_feedback_and_one_announcement(
    pipeline: Pipeline, transcript: Transcript
) -> None:
    event = SessionCompleted(data=transcript)

    outcomes = [
        await pipeline.consumer.handle_record(record(event, 0)),
        await pipeline.consumer.handle_record(record(event, 1)),
        await pipeline.consumer.handle_record(record(again(event), 2)),
    ]
    await pipeline.relay.run_once()
    await pipeline.relay.run_once()

    assert outcomes == ["processed", "duplicate", "processed"]
    [document] = pipeline.collection.documents
    assert document["_id"] == "sess-dup"
    assert document["outbox"] == []
    assert pipeline.pending.documents == [], "the relay forgets a session once it is announced"
    [published] = pipeline.broker.published
    announced = FeedbackReady.model_validate(published.value)
    assert published.topic == "mocksy.feedback.ready.v1"
    assert published.key == transcript.user_id
    assert announced.correlation_id == event.correlation_id
    assert str(announced.event_id) == document["event_id"]
    assert announced.data.session_id == "sess-dup"
    assert announced.data.model_dump(mode="json") == document["feedback"]
    assert pipeline.feedback_count() == 1


async def test_two_deliveries_of_one_session_at_the_same_time_store_one_feedback(
    pipeline: Pipeline, transcript: Transcript
) -> None:
    event = SessionCompleted(data=transcript)
    outcomes = await asyncio.gather(
        pipeline.consumer.handle_record(record(event, 0)),
        pipeline.consumer.handle_record(record(again(event), 1)),
    )
    await pipeline.relay.run_once()

    assert list(outcomes) == ["processed", "processed"]
    assert len(pipeline.collection.documents) == 1
    assert len(pipeline.broker.published) == 1
    assert pipeline.feedback_count() == 1


async def test_a_thin_session_gets_ungradable_feedback_announced_too(
    pipeline: Pipeline, kit: InterviewKit
) -> None:
    builder = kit.interview(session_id="sess-thin", outcome="ended_early")
    builder.ask(kit.index).answer(kit.index, "No idea, sorry.")
    await pipeline.consumer.handle_record(record(SessionCompleted(data=builder.build())))
    await pipeline.relay.run_once()

    [published] = pipeline.broker.published
    feedback = FeedbackReady.model_validate(published.value).data
    assert feedback.gradable is False
    assert feedback.overall_score is None
    assert "at least 20 are needed" in feedback.warnings[0]
    assert pipeline.feedback_count(gradable="false") == 1


async def test_the_stored_document_has_no_array_directly_inside_an_array(
    pipeline: Pipeline, transcript: Transcript
) -> None:
    await pipeline.consumer.handle_record(record(SessionCompleted(data=transcript)))
    [document] = pipeline.collection.documents
    assert document["outbox"], "the announcement waits in the outbox until relayed"
    assert not nested_arrays(document)


async def test_feedback_waits_in_the_outbox_while_the_broker_is_down(
    pipeline: Pipeline, transcript: Transcript
) -> None:
    await pipeline.consumer.handle_record(record(SessionCompleted(data=transcript)))
    pipeline.broker.fail()
    outage = await pipeline.relay.run_once()
    pipeline.broker.recover()
    recovered = await pipeline.relay.run_once()

    assert (outage.failed, recovered.published) == (1, 1)
    assert len(pipeline.broker.published) == 1


async def test_a_database_outage_retries_then_dead_letters_the_session(
    pipeline: Pipeline, transcript: Transcript
) -> None:
    pipeline.collection.fail_with = ConnectionError("MongoDB is down")
    outcome = await pipeline.consumer.handle_record(record(SessionCompleted(data=transcript)))

    assert outcome == "dead_lettered"
    [letter] = pipeline.dead_letters.sent
    assert letter.topic == "mocksy.session.completed.v1.dlq"
    assert "MongoDB is down" in json.loads(letter.value)["error"]
    assert pipeline.feedback_count() == 0


async def test_a_mark_left_by_a_crash_before_the_insert_is_forgotten_later() -> None:
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    feedback, pending = InMemoryCollection("feedback"), InMemoryCollection("feedback_pending")
    view = PendingFeedback(
        feedback, pending, abandon_after=timedelta(minutes=10), clock=lambda: now[0]
    )
    await view.mark("sess-crashed")

    soon = [d async for d in view.find({"outbox.event_id": {"$gt": ""}})]
    now[0] += timedelta(minutes=11)
    later = [d async for d in view.find({"outbox.event_id": {"$gt": ""}})]

    assert soon == later == []
    assert pending.documents == []


async def test_a_mark_whose_feedback_is_being_written_is_kept() -> None:
    feedback, pending = InMemoryCollection("feedback"), InMemoryCollection("feedback_pending")
    view = PendingFeedback(feedback, pending)
    await view.mark("sess-in-flight")

    assert [d async for d in view.find({"outbox.event_id": {"$gt": ""}})] == []
    assert [m["_id"] for m in pending.documents] == ["sess-in-flight"]
