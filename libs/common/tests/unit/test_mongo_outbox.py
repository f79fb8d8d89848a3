"""The outbox: events stored with the change, relayed to the broker, removed only when sent."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import AutoReconnect
from pymongo.results import UpdateResult

from common.events import Interview, InterviewCreated, Question
from common.messaging import EventPublisher
from common.mongo import (
    OutboxEntry,
    OutboxRelay,
    Publish,
    outbox_entry,
    push_to_outbox,
    with_outbox,
)
from common.testing.mongo import InMemoryCollection
from common.testing.outbox import FakePublisher

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def interview_created(user_id: str = "user-1", interview_id: str = "int-1") -> InterviewCreated:
    question = Question(
        question_id="q1",
        text="Tell me about a time you disagreed with a teammate.",
        kind="behavioral",
        topic="conflict",
    )
    interview = Interview(
        id=interview_id,
        user_id=user_id,
        role="backend",
        interview_type="behavioral",
        level="mid",
        tech_stack=["python"],
        questions=[question],
        created_at=NOW,
        source="api",
    )
    return InterviewCreated(data=interview)


async def insert_interview(
    interviews: InMemoryCollection, event: InterviewCreated, **fields: Any
) -> None:
    document = {"_id": event.data.id, "user_id": event.key, "status": "ready", **fields}
    await interviews.insert_one(with_outbox(document, event))


def pending(collection: InMemoryCollection) -> list[str]:
    return [entry["event_id"] for doc in collection.documents for entry in doc.get("outbox", [])]


class TestOutboxEntries:
    def test_entry_carries_the_envelope_addressed_to_the_events_topic(self) -> None:
        event = interview_created()

        entry = outbox_entry(event, now=NOW)

        assert entry == {
            "event_id": str(event.event_id),
            "topic": "mocksy.interview.created.v1",
            "key": "user-1",
            "value": event.to_record_value(),
            "created_at": NOW,
        }

    def test_new_document_carries_its_events(self) -> None:
        first, second = interview_created(), interview_created()

        document = with_outbox({"_id": "int-1", "status": "ready"}, first, second)

        assert document["status"] == "ready"
        assert [e["event_id"] for e in document["outbox"]] == [
            str(first.event_id),
            str(second.event_id),
        ]

    def test_update_pushes_events_alongside_the_change(self) -> None:
        event = interview_created()

        update = push_to_outbox(event, update={"$set": {"status": "archived"}})

        assert update["$set"] == {"status": "archived"}
        assert [e["event_id"] for e in update["$push"]["outbox"]["$each"]] == [str(event.event_id)]

    def test_update_that_already_touches_the_outbox_is_refused(self) -> None:
        with pytest.raises(ValueError, match="outbox"):
            push_to_outbox(interview_created(), update={"$set": {"outbox": []}})

    def test_headers_match_direct_publishing(self) -> None:
        event = interview_created()

        headers = OutboxEntry.for_event(event).headers()

        assert headers == {
            "content-type": "application/json",
            "mocksy-event-type": "InterviewCreated",
            "mocksy-correlation-id": event.correlation_id,
        }

    def test_event_publisher_fits_the_relay(self) -> None:
        # Typing proof that the broker wiring in common.messaging plugs straight in.
        def as_publish(publisher: EventPublisher) -> Publish:
            return publisher.publish_record

        assert callable(as_publish)


class TestOutboxRelay:
    async def test_publishes_then_removes_the_entry(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        event = interview_created()
        await insert_interview(interviews, event)

        result = await OutboxRelay([interviews], broker).run_once()

        assert result.published == 1
        [record] = broker.published
        assert (record.topic, record.key) == ("mocksy.interview.created.v1", "user-1")
        assert InterviewCreated.model_validate(record.value) == event
        assert pending(interviews) == []
        assert interviews.documents[0]["status"] == "ready"

    async def test_entry_pushed_with_an_update_is_relayed(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        await interviews.insert_one({"_id": "int-1", "status": "draft"})
        event = interview_created()

        await interviews.update_one(
            {"_id": "int-1"}, push_to_outbox(event, update={"$set": {"status": "ready"}})
        )
        await OutboxRelay([interviews], broker).run_once()

        assert [r.value["event_id"] for r in broker.published] == [str(event.event_id)]
        assert interviews.documents[0]["status"] == "ready"
        assert pending(interviews) == []

    async def test_broker_outage_keeps_the_entry_and_the_next_pass_delivers_it(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        event = interview_created()
        await insert_interview(interviews, event)
        relay = OutboxRelay([interviews], broker)

        broker.fail()
        outage = await relay.run_once()

        assert (outage.published, outage.failed) == (0, 1)
        assert pending(interviews) == [str(event.event_id)]

        broker.recover()
        recovered = await relay.run_once()

        assert recovered.published == 1
        assert [r.value["event_id"] for r in broker.published] == [str(event.event_id)]
        assert pending(interviews) == []

    async def test_a_failed_event_holds_back_later_events_with_the_same_key(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        first = interview_created("user-1", "int-1")
        second = interview_created("user-1", "int-2")
        other_user = interview_created("user-2", "int-3")
        for event in (first, second, other_user):
            await insert_interview(interviews, event)
        relay = OutboxRelay([interviews], broker)

        broker.fail(times=1)
        result = await relay.run_once()

        assert (result.published, result.failed, result.deferred) == (1, 1, 1)
        assert [r.key for r in broker.published] == ["user-2"]

        await relay.run_once()
        delivered = [r.value["data"]["id"] for r in broker.published]
        assert delivered == ["int-3", "int-1", "int-2"]

    async def test_relays_several_collections(self) -> None:
        interviews, retakes = InMemoryCollection("interviews"), InMemoryCollection("retakes")
        broker = FakePublisher()
        await insert_interview(interviews, interview_created(interview_id="int-1"))
        await insert_interview(retakes, interview_created(interview_id="int-2"))

        result = await OutboxRelay([interviews, retakes], broker).run_once()

        assert result.published == 2
        assert pending(interviews) == pending(retakes) == []

    async def test_oldest_entries_go_first(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        older, newer = interview_created(), interview_created()
        await interviews.insert_one(
            {
                "_id": "int-1",
                "outbox": [
                    outbox_entry(newer, now=NOW + timedelta(seconds=1)),
                    outbox_entry(older, now=NOW),
                ],
            }
        )

        await OutboxRelay([interviews], broker).run_once()

        assert [r.value["event_id"] for r in broker.published] == [
            str(older.event_id),
            str(newer.event_id),
        ]

    async def test_entry_that_could_not_be_removed_is_published_again(self) -> None:
        interviews, broker = ForgetfulCollection("interviews"), FakePublisher()
        event = interview_created()
        await insert_interview(interviews, event)
        relay = OutboxRelay([interviews], broker)

        interviews.forget_next_updates = 1
        await relay.run_once()
        await relay.run_once()

        # At least once: the duplicate is the consumer's to skip, by event_id.
        assert [r.value["event_id"] for r in broker.published] == [str(event.event_id)] * 2
        assert pending(interviews) == []

    async def test_malformed_entry_is_left_in_place_and_the_rest_flow(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        good = interview_created()
        await interviews.insert_one(
            {"_id": "int-1", "outbox": [{"event_id": "broken"}, outbox_entry(good)]}
        )

        result = await OutboxRelay([interviews], broker).run_once()

        assert result.published == 1
        assert pending(interviews) == ["broken"]
        assert "malformed outbox entry" in caplog.text

    async def test_run_relays_until_stopped(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        relay = OutboxRelay([interviews], broker, poll_interval=0.01)
        task = asyncio.create_task(relay.run())

        await insert_interview(interviews, interview_created())
        async with asyncio.timeout(2):
            await broker.wait_for(1)
        relay.stop()

        await asyncio.wait_for(task, timeout=1)
        assert pending(interviews) == []

    async def test_run_survives_an_unreachable_database(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING)
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        await insert_interview(interviews, interview_created())
        interviews.fail_with = AutoReconnect("connection refused")
        relay = OutboxRelay([interviews], broker, poll_interval=0.01)
        task = asyncio.create_task(relay.run())

        await asyncio.sleep(0.05)  # a few failing passes
        interviews.fail_with = None
        async with asyncio.timeout(2):
            await broker.wait_for(1)
        relay.stop()
        await asyncio.wait_for(task, timeout=1)

        assert "outbox relay pass failed" in caplog.text

    async def test_a_publish_kafka_neither_takes_nor_refuses_does_not_hold_up_the_pass(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        event = interview_created()
        await insert_interview(interviews, event)
        broker.hold()
        relay = OutboxRelay([interviews], broker, publish_timeout=0.05)

        async with asyncio.timeout(2):
            result = await relay.run_once()

        assert (result.published, result.failed) == (0, 1)
        assert pending(interviews) == [str(event.event_id)]
        assert "not acknowledged within 0.1s; still in flight" in caplog.text

    async def test_a_record_still_in_flight_is_not_sent_again_and_is_removed_once_taken(
        self,
    ) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        event = interview_created()
        await insert_interview(interviews, event)
        broker.hold()
        relay = OutboxRelay([interviews], broker, publish_timeout=0.05)
        await relay.run_once()
        await relay.run_once()

        broker.release()
        result = await relay.run_once()

        assert result.published == 1
        assert broker.attempts == 1
        assert [r.value["event_id"] for r in broker.published] == [str(event.event_id)]
        assert pending(interviews) == []

    async def test_stopping_abandons_a_publish_in_flight_and_keeps_its_entry(self) -> None:
        interviews, broker = InMemoryCollection("interviews"), FakePublisher()
        event = interview_created()
        await insert_interview(interviews, event)
        broker.hold()
        relay = OutboxRelay([interviews], broker, poll_interval=0.01, publish_timeout=60)
        task = asyncio.create_task(relay.run())
        async with asyncio.timeout(2):
            await broker.attempted.wait()

        relay.stop()

        async with asyncio.timeout(2):  # not the 60 s publish timeout
            await task
        assert broker.abandoned == 1
        assert broker.published == []
        assert pending(interviews) == [str(event.event_id)]

    def test_needs_a_positive_publish_timeout(self) -> None:
        with pytest.raises(ValueError, match="publish_timeout must be positive, got 0"):
            OutboxRelay([InMemoryCollection("interviews")], FakePublisher(), publish_timeout=0)

    def test_needs_a_collection(self) -> None:
        with pytest.raises(ValueError, match="at least one collection"):
            OutboxRelay([], FakePublisher())


class ForgetfulCollection(InMemoryCollection):
    """Loses the next updates, as when the database drops the connection after publishing."""

    forget_next_updates = 0

    async def update_one(self, filter: Any, update: Any, upsert: bool = False) -> UpdateResult:
        if self.forget_next_updates:
            self.forget_next_updates -= 1
            raise AutoReconnect("connection reset by peer")
        return await super().update_one(filter, update, upsert)
