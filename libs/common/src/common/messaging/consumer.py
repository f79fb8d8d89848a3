"""At-least-once consumption of Mocksy events with idempotency and a dead-letter topic.

Every record goes through the same steps: decode and validate the envelope (a record that
cannot be decoded goes straight to ``<topic>.dlq``), skip it when its ``event_id`` was already
processed by this consumer, run the handler with retries, send it to the dead-letter topic after
``max_attempts`` failures, and only then let the offset be committed. A crash anywhere before the
commit redelivers the record; the idempotency check makes the redelivery harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.middlewares import AckPolicy
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import ValidationError

from common.events.envelope import EventEnvelope
from common.events.topics import dlq_topic
from common.observability import correlation_id_var

logger = logging.getLogger("mocksy.messaging")

# Keeps a dead letter under Kafka's default 1 MiB record limit even for an oversized original.
MAX_DEAD_LETTER_VALUE_CHARS = 256 * 1024


class ProcessedEvents(Protocol):
    """Remembers which events a consumer has already handled."""

    async def seen(self, event_id: str, consumer: str) -> bool:
        """True when ``consumer`` already handled ``event_id``."""
        ...

    async def mark(self, event_id: str, consumer: str) -> None:
        """Record that ``consumer`` handled ``event_id``; marking twice is harmless."""
        ...


class RecordPublisher(Protocol):
    """Sends a raw record; the broker in production, a fake in unit tests."""

    async def __call__(
        self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]
    ) -> Any: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing handler is retried before dead-lettering."""

    max_attempts: int = 3
    first_backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_backoff_s, self.first_backoff_s * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class RawRecord:
    """What a consumer needs of a Kafka record, independent of the client library."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class ConsumerMetrics:
    """Counts of what happened to each record and how long handlers took."""

    def __init__(self, service: str, registry: CollectorRegistry) -> None:
        prefix = f"mocksy_{service.replace('-', '_')}"
        self.records = Counter(
            f"{prefix}_events_consumed_total",
            "Records consumed, by topic and outcome "
            "(processed, duplicate, retried, dead_lettered, malformed).",
            ["topic", "outcome"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            f"{prefix}_event_handler_duration_seconds",
            "Time the handler took for one record, retries included.",
            ["topic"],
            registry=registry,
        )


E = TypeVar("E", bound=EventEnvelope)
T = TypeVar("T")


class EventConsumer(Generic[E]):
    """Runs one handler for one event type with idempotency, retries and a dead-letter topic."""

    def __init__(
        self,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None]],
        *,
        consumer: str,
        processed: ProcessedEvents,
        dead_letters: RecordPublisher,
        retry: RetryPolicy | None = None,
        metrics: ConsumerMetrics | None = None,
        max_record_bytes: int = 1024 * 1024,
        topic: str | None = None,
        outage_errors: tuple[type[Exception], ...] = (),
    ) -> None:
        self.event_type = event_type
        # Another topic than the event's own serves tests and the move to a .v2 topic.
        self.topic = topic or event_type.topic
        self.handler = handler
        self.consumer = consumer
        self.processed = processed
        self.dead_letters = dead_letters
        self.retry = retry or RetryPolicy()
        self.metrics = metrics
        self.max_record_bytes = max_record_bytes
        # A dependency that is down (the database restarting) says nothing about the record:
        # dead-lettering it would drop a good event, so it waits for the outage to end instead.
        self.outage_errors = outage_errors

    async def handle_record(self, record: RawRecord) -> str:
        """Process one record to the end; returns the outcome. Raises only when nothing was
        settled (the dead-letter publish itself failed), so the record is redelivered."""
        if len(record.value) > self.max_record_bytes:
            error = f"record of {len(record.value)} bytes exceeds {self.max_record_bytes} bytes"
            return await self._dead_letter(record, error, attempts=1, outcome="malformed")
        try:
            event = self.event_type.model_validate_json(record.value)
        except ValidationError as error:
            return await self._dead_letter(
                record, _describe(error), attempts=1, outcome="malformed"
            )

        event_id = str(event.event_id)
        token = correlation_id_var.set(event.correlation_id)
        try:
            if await self._through_outages(
                lambda: self.processed.seen(event_id, self.consumer), event_id
            ):
                self._count("duplicate")
                logger.info(
                    "skipping an event already processed",
                    extra={"topic": self.topic, "event_id": event_id},
                )
                return "duplicate"
            started = time.perf_counter()
            attempt = outages = 0
            while attempt < self.retry.max_attempts:
                try:
                    await self.handler(event)
                    break
                except asyncio.CancelledError:
                    raise
                except self.outage_errors as error:
                    outages += 1
                    await self._wait_out(error, event_id, outages)
                    continue
                except Exception as error:
                    attempt += 1
                    logger.warning(
                        "handler failed",
                        exc_info=True,
                        extra={"topic": self.topic, "event_id": event_id, "attempt": attempt},
                    )
                    if attempt == self.retry.max_attempts:
                        return await self._dead_letter(
                            record,
                            f"{type(error).__name__}: {error}",
                            attempts=attempt,
                            outcome="dead_lettered",
                        )
                    self._count("retried")
                    await asyncio.sleep(self.retry.backoff(attempt))
            if self.metrics:
                self.metrics.handler_seconds.labels(self.topic).observe(
                    time.perf_counter() - started
                )
            await self._through_outages(
                lambda: self.processed.mark(event_id, self.consumer), event_id
            )
            self._count("processed")
            return "processed"
        finally:
            correlation_id_var.reset(token)

    async def _through_outages(self, step: Callable[[], Awaitable[T]], event_id: str) -> T:
        # The idempotency ledger lives in the same database as the handler's data: while it is
        # down, waiting here beats failing the record and having it redelivered in a tight loop.
        outages = 0
        while True:
            try:
                return await step()
            except self.outage_errors as error:
                outages += 1
                await self._wait_out(error, event_id, outages)

    async def _wait_out(self, error: Exception, event_id: str, outages: int) -> None:
        logger.warning(
            "waiting for a dependency to come back: %r",
            error,
            extra={"topic": self.topic, "event_id": event_id, "outage_retry": outages},
        )
        self._count("retried")
        await asyncio.sleep(self.retry.backoff(outages))

    async def _dead_letter(
        self, record: RawRecord, error: str, *, attempts: int, outcome: str
    ) -> str:
        text = record.value.decode("utf-8", errors="replace")
        truncated = len(text) > MAX_DEAD_LETTER_VALUE_CHARS
        letter = {
            "original_topic": record.topic,
            "original_partition": record.partition,
            "original_offset": record.offset,
            "original_key": record.key.decode("utf-8", errors="replace") if record.key else None,
            "original_value": text[:MAX_DEAD_LETTER_VALUE_CHARS],
            "original_value_truncated": truncated,
            "error": error[:4000],
            "attempts": attempts,
            "consumer_group": self.consumer,
            "failed_at": datetime.now(UTC).isoformat(),
        }
        await self.dead_letters(
            json.dumps(letter).encode(),
            topic=dlq_topic(record.topic),
            key=record.key,
            headers={
                "content-type": "application/json",
                "x-mocksy-error": error[:200],
                "x-mocksy-attempts": str(attempts),
                "x-mocksy-consumer-group": self.consumer,
            },
        )
        logger.error(
            "record sent to the dead-letter topic",
            extra={
                "topic": record.topic,
                "offset": record.offset,
                "partition": record.partition,
                "error": error[:500],
                "attempts": attempts,
            },
        )
        self._count(outcome)
        return outcome

    def _count(self, outcome: str) -> None:
        if self.metrics:
            self.metrics.records.labels(self.topic, outcome).inc()


def _describe(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()[:5]
    ]
    return "invalid event: " + "; ".join(problems)


def subscribe(broker: KafkaBroker, consumer: EventConsumer[Any], *, group_id: str) -> None:
    """Register ``consumer`` on ``broker`` for its topic in consumer group ``group_id``.

    The offset of a record is committed only after ``handle_record`` returns; when it raises
    (the dead-letter topic could not be written) the partition is rewound and the record comes
    again.

    Args:
        broker: The service's broker.
        consumer: What to run for each record.
        group_id: Kafka consumer group; each service (and each integration) uses its own.
    """

    @broker.subscriber(
        consumer.topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_record(message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple)  # one record per call: batch mode is not used
        await consumer.handle_record(
            RawRecord(
                topic=raw.topic,
                partition=raw.partition,
                offset=raw.offset,
                key=raw.key,
                value=raw.value or b"",
            )
        )
