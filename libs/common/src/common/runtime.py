"""The event plumbing of one service: MongoDB, the Kafka broker, consumers and the outbox relay.

A service builds one ``EventRuntime`` in its lifespan, registers its consumers and outbox
collections, and calls ``start``/``stop``. The HTTP API comes up even while Kafka is down: the
broker keeps trying to connect in the background and the outbox holds events until it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker
from pymongo.errors import ConnectionFailure

from common.events.envelope import EventEnvelope
from common.messaging import (
    ConsumerMetrics,
    EventConsumer,
    EventPublisher,
    RetryPolicy,
    create_broker,
    subscribe,
)
from common.mongo import (
    MongoClient,
    MongoCollection,
    OutboxRelay,
    ProcessedEvents,
    close_client,
    create_client,
    ping,
)
from common.observability import ReadinessCheck, ServiceMetrics
from common.settings import BaseServiceSettings

logger = logging.getLogger("mocksy.runtime")

E = TypeVar("E", bound=EventEnvelope)


class EventRuntime:
    """Owns the Mongo client, the broker, the consumers and the outbox relay of a service."""

    def __init__(
        self,
        settings: BaseServiceSettings,
        metrics: ServiceMetrics,
        *,
        database: str,
        retry: RetryPolicy | None = None,
        outbox_poll_interval: float = 0.5,
    ) -> None:
        """Create clients; nothing connects until ``start``.

        Args:
            settings: The service's settings (addresses and service name).
            metrics: The service's metrics; broker and consumer metrics join its registry.
            database: The MongoDB database this service owns.
            retry: Retry policy of every consumer.
            outbox_poll_interval: Seconds between outbox relay passes when idle.
        """
        self.service = settings.service_name
        self.topic_prefix = settings.topic_prefix
        self.mongo: MongoClient = create_client(settings.mongodb_uri, f"mocksy-{self.service}")
        self.db = self.mongo[database]
        self.broker: KafkaBroker = create_broker(
            settings.kafka_bootstrap_servers, service=self.service, registry=metrics.registry
        )
        self.publisher = EventPublisher(self.broker)
        self.processed = ProcessedEvents(self.db["processed_events"])
        self._consumer_metrics = ConsumerMetrics(self.service, metrics.registry)
        self._retry = retry or RetryPolicy()
        self._outbox_collections: list[MongoCollection] = []
        self._outbox_poll_interval = outbox_poll_interval
        self._publish_timeout = settings.outbox_publish_timeout_s
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer[Any]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.broker_connected = asyncio.Event()

    def consume(
        self, event_type: type[E], handler: Callable[[E], Awaitable[None]], *, name: str
    ) -> EventConsumer[E]:
        """Run ``handler`` for every ``event_type`` event, in consumer group
        ``mocksy-<service>.<name>``; call before ``start``."""
        consumer = EventConsumer(
            event_type,
            handler,
            consumer=f"{self.service}.{name}",
            processed=self.processed,
            dead_letters=self.publisher.publish_raw,
            retry=self._retry,
            metrics=self._consumer_metrics,
            # A database restart delays the event until the database is back; never a DLQ.
            outage_errors=(ConnectionFailure,),
            topic=self.topic_prefix + event_type.topic,
        )
        subscribe(self.broker, consumer, group_id=f"mocksy-{self.service}.{name}")
        self.consumers.append(consumer)
        return consumer

    def relay_outbox(self, *collections: MongoCollection) -> None:
        """Publish the outbox entries of documents in ``collections``; call before ``start``."""
        self._outbox_collections.extend(collections)

    async def start(self) -> None:
        """Create indexes, then connect the broker and run the relay in the background."""
        await self.processed.ensure_indexes()
        self._tasks.append(asyncio.create_task(self._connect_broker(), name="broker-connect"))
        if self._outbox_collections:
            self.relay = OutboxRelay(
                self._outbox_collections,
                self._publish_outbox_record,
                poll_interval=self._outbox_poll_interval,
                publish_timeout=self._publish_timeout,
            )
            self._tasks.append(asyncio.create_task(self._relay_when_connected(), name="outbox"))

    async def stop(self) -> None:
        """Stop the relay and the consumers (uncommitted records are redelivered later).

        Bounded while Kafka is down: a publish in flight is abandoned (its outbox entry stays
        pending and goes out after a restart) and the producer gets ``outbox_publish_timeout_s``
        to flush.
        """
        if self.relay is not None:
            self.relay.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # Consumers first, each within the broker's grace period for a running handler...
        for subscriber in self.broker.subscribers:
            try:
                await subscriber.stop()
            except asyncio.CancelledError:
                # aiokafka's consumer lets the cancellation of its own fetch task escape from
                # stop() while Kafka is down; only a cancellation of this task is passed on.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
            except Exception as error:
                logger.warning("stopping a Kafka consumer failed: %r", error)
        # ...then the producer, whose flush would wait for as long as Kafka is unreachable: an
        # idempotent producer retries a record forever and never fails it.
        try:
            async with asyncio.timeout(self._publish_timeout):
                await self.broker.stop()
        except TimeoutError:
            logger.warning(
                "Kafka did not take the producer's last records within %.1fs; stopping without "
                "them (outbox entries stay pending until the next start)",
                self._publish_timeout,
            )
        except Exception as error:
            logger.warning("stopping the Kafka client failed: %r", error)
        await close_client(self.mongo)

    async def _publish_outbox_record(
        self, topic: str, key: str, value: dict[str, Any], headers: dict[str, str]
    ) -> None:
        # Entries store the event's own topic; the deployment's prefix applies when sent.
        await self.publisher.publish_record(self.topic_prefix + topic, key, value, headers)

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        """``/readyz`` checks: MongoDB answers and the broker has connected."""

        async def mongo() -> None:
            if not await ping(self.mongo):
                raise ConnectionError("MongoDB did not answer ping")

        async def kafka() -> None:
            if not self.broker_connected.is_set():
                raise ConnectionError("not connected to Kafka yet")

        return {"mongo": mongo, "kafka": kafka}

    async def _connect_broker(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.broker.start()
            except Exception as error:  # Kafka not up yet: keep serving, keep trying
                logger.warning("Kafka not reachable (%s); retrying in %.1fs", error, delay)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self.broker_connected.set()
            logger.info("connected to Kafka")
            return

    async def _relay_when_connected(self) -> None:
        await self.broker_connected.wait()
        assert self.relay is not None
        await self.relay.run()
