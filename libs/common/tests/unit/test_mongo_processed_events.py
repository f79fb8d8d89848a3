"""Idempotent consumers: each event is handled once per consumer, even when redelivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from common.messaging import ProcessedEvents as ProcessedEventsProtocol
from common.mongo import ProcessedEvents
from common.testing.mongo import InMemoryCollection


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def ledger(clock: ManualClock) -> ProcessedEvents:
    ledger = ProcessedEvents(InMemoryCollection("processed_events"), clock=clock)
    await ledger.ensure_indexes()
    return ledger


async def test_first_claim_wins_and_redeliveries_are_skipped(ledger: ProcessedEvents) -> None:
    event_id = uuid4()

    assert await ledger.claim(event_id, "history.interview-created") is True
    assert await ledger.claim(event_id, "history.interview-created") is False
    assert await ledger.claim(str(event_id), "history.interview-created") is False


async def test_each_consumer_handles_the_event_once(ledger: ProcessedEvents) -> None:
    event_id = uuid4()

    assert await ledger.claim(event_id, "history.session-completed") is True
    assert await ledger.claim(event_id, "scoring.session-completed") is True


async def test_released_claim_lets_the_retry_through(ledger: ProcessedEvents) -> None:
    event_id = uuid4()
    await ledger.claim(event_id, "scoring")

    await ledger.release(event_id, "scoring")

    assert await ledger.claim(event_id, "scoring") is True


async def test_completed_event_is_never_claimed_again(
    ledger: ProcessedEvents, clock: ManualClock
) -> None:
    event_id = uuid4()
    await ledger.claim(event_id, "scoring")
    await ledger.complete(event_id, "scoring")
    await ledger.release(event_id, "scoring")
    clock.now += timedelta(days=30)

    assert await ledger.claim(event_id, "scoring") is False


async def test_claim_abandoned_by_a_crash_expires_after_the_lease(
    ledger: ProcessedEvents, clock: ManualClock
) -> None:
    event_id = uuid4()
    await ledger.claim(event_id, "scoring")

    clock.now += timedelta(minutes=5)
    assert await ledger.claim(event_id, "scoring") is False

    clock.now += timedelta(minutes=6)
    assert await ledger.claim(event_id, "scoring") is True
    assert await ledger.claim(event_id, "scoring") is False


async def test_handle_once_runs_the_handler_once(ledger: ProcessedEvents) -> None:
    event_id, calls = uuid4(), []

    async def handler() -> None:
        calls.append(event_id)

    assert await ledger.handle_once(event_id, "history", handler) is True
    assert await ledger.handle_once(event_id, "history", handler) is False
    assert calls == [event_id]


async def test_handle_once_lets_a_failed_attempt_be_retried(ledger: ProcessedEvents) -> None:
    event_id = uuid4()

    async def failing() -> None:
        raise RuntimeError("scoring engine crashed")

    async def succeeding() -> None:
        pass

    with pytest.raises(RuntimeError, match="crashed"):
        await ledger.handle_once(event_id, "scoring", failing)

    assert await ledger.handle_once(event_id, "scoring", succeeding) is True


async def test_seen_and_mark_for_the_messaging_consumer(ledger: ProcessedEvents) -> None:
    event_id = str(uuid4())
    protocol_view: ProcessedEventsProtocol = ledger

    assert await protocol_view.seen(event_id, "history") is False
    await protocol_view.mark(event_id, "history")
    await protocol_view.mark(event_id, "history")

    assert await protocol_view.seen(event_id, "history") is True
    assert await protocol_view.seen(event_id, "scoring") is False


async def test_an_in_progress_claim_is_not_seen_as_done(ledger: ProcessedEvents) -> None:
    event_id = uuid4()
    await ledger.claim(event_id, "history")

    assert await ledger.seen(event_id, "history") is False
