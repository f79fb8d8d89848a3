"""Transactional outbox without transactions: events ride in the same document write.

A service that changes a document and must announce it stores the event in that document's
`outbox` list in the same `insert_one`/`update_one` (single-document writes are atomic on
MongoDB and FerretDB). `OutboxRelay` later publishes each entry and only then removes it, so a
broker outage delays events but never loses them. Delivery is at least once: a crash between
publish and removal republishes the entry, and consumers deduplicate on `event_id`.

Only plain filters and `$push`/`$pullAll` are used: FerretDB 1.x has no change streams, and
its `$pull` compares whole values instead of evaluating a query, so entries are removed by
exact value with `$pullAll`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError
from pymongo.errors import PyMongoError

from common.messaging.publisher import record_headers
from common.mongo.collection import MongoCollection
from common.mongo.indexes import IndexSpec

logger = logging.getLogger(__name__)

OUTBOX_FIELD: Final = "outbox"

# Lets MongoDB find documents with pending entries without a collection scan; harmless on
# FerretDB, which scans anyway.
OUTBOX_INDEX: Final = IndexSpec.on(f"{OUTBOX_FIELD}.event_id", name="outbox_pending")

# Matches documents with at least one entry. `$gt: ""` rather than `$exists`, so that an index
# on outbox.event_id can answer it (documents without entries are indexed as null).
_PENDING_FILTER: Final[Mapping[str, Any]] = {f"{OUTBOX_FIELD}.event_id": {"$gt": ""}}


class OutboxEvent(Protocol):
    """What the outbox needs from an event: `common.events` models satisfy it."""

    topic: ClassVar[str]

    @property
    def event_id(self) -> UUID: ...

    @property
    def key(self) -> str: ...

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


class Publish(Protocol):
    """Sends one record to the broker; raises when the broker did not accept it."""

    def __call__(
        self, topic: str, key: str, value: dict[str, Any], headers: dict[str, str]
    ) -> Awaitable[None]: ...


class OutboxEntry(BaseModel):
    """One pending event as stored in a document's `outbox` list."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    topic: str
    key: str
    value: dict[str, Any]
    created_at: datetime

    @classmethod
    def for_event(cls, event: OutboxEvent, *, now: datetime | None = None) -> OutboxEntry:
        """The entry that will publish `event` (its JSON envelope) to the event's topic.

        Args:
            event: The event to announce.
            now: When the entry is created; the current time if omitted.
        """
        return cls(
            event_id=str(event.event_id),
            topic=event.topic,
            key=event.key,
            value=event.model_dump(mode="json"),
            created_at=now or datetime.now(UTC),
        )

    def headers(self) -> dict[str, str]:
        """Record headers, the same ones `EventPublisher` sends when publishing directly."""
        return record_headers(
            str(self.value.get("event_type", "")), str(self.value.get("correlation_id", ""))
        )


def outbox_entry(event: OutboxEvent, *, now: datetime | None = None) -> dict[str, Any]:
    """The stored form of `event`'s outbox entry.

    Args:
        event: The event to announce.
        now: When the entry is created; the current time if omitted.
    """
    return OutboxEntry.for_event(event, now=now).model_dump()


def with_outbox(document: Mapping[str, Any], *events: OutboxEvent) -> dict[str, Any]:
    """A copy of `document` carrying `events` in its outbox, ready for `insert_one`.

    Args:
        document: The new document.
        *events: Events announcing its creation.
    """
    pending = list(document.get(OUTBOX_FIELD, []))
    return {**document, OUTBOX_FIELD: pending + [outbox_entry(event) for event in events]}


def push_to_outbox(*events: OutboxEvent, update: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An update that appends `events` to the outbox, merged into `update` if given.

    Use it in the same `update_one` as the change the events describe, e.g.
    `push_to_outbox(event, update={"$set": {"status": "ready"}})`.

    Args:
        *events: Events to announce.
        update: The change itself, as update operators.

    Raises:
        ValueError: `update` already pushes to or replaces the outbox.
    """
    merged = dict(update or {})
    if any(OUTBOX_FIELD in merged.get(op, {}) for op in ("$push", "$set", "$unset")):
        raise ValueError(f"the update already changes '{OUTBOX_FIELD}'")
    entries = [outbox_entry(event) for event in events]
    merged["$push"] = {**merged.get("$push", {}), OUTBOX_FIELD: {"$each": entries}}
    return merged


class PublishAbandoned(Exception):
    """A publish cancelled because the relay is stopping; its entry stays pending."""


@dataclass(frozen=True)
class RelayPass:
    """What one polling pass of the relay did."""

    published: int = 0
    failed: int = 0
    deferred: int = 0
    documents: int = 0


@dataclass(frozen=True)
class _Pending:
    collection: MongoCollection
    document_id: Any
    stored: dict[str, Any]
    entry: OutboxEntry


class OutboxRelay:
    """Publishes pending outbox entries and removes each one after the broker accepted it."""

    def __init__(
        self,
        collections: Sequence[MongoCollection],
        publish: Publish,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 100,
        publish_timeout: float = 10.0,
    ) -> None:
        """Relay the outboxes of `collections` through `publish`.

        Args:
            collections: Collections whose documents carry an `outbox` list.
            publish: Sends one record; must raise unless the broker acknowledged it.
            poll_interval: Seconds between passes when there is nothing more to do.
            batch_size: Documents read per collection per pass.
            publish_timeout: Seconds a pass waits for the broker to acknowledge one record
                before it moves on; the record stays in flight and is not sent again.
        """
        if not collections:
            raise ValueError("the outbox relay needs at least one collection")
        if publish_timeout <= 0:
            raise ValueError(f"publish_timeout must be positive, got {publish_timeout}")
        self._collections = tuple(collections)
        self._publish = publish
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self._batch_size = batch_size
        self._stopping = asyncio.Event()
        # Publishes not acknowledged within publish_timeout, by event id. A producer that cannot
        # reach Kafka neither accepts nor refuses a record (an idempotent producer retries it
        # until Kafka is back), so it is waited on again rather than sent a second time.
        self._in_flight: dict[str, asyncio.Task[None]] = {}

    async def run_once(self) -> RelayPass:
        """Publish what is pending now, oldest first; failed entries stay for the next pass."""
        pending, documents = await self._pending()
        waiting = {item.entry.event_id for item in pending}
        for event_id in [e for e, task in self._in_flight.items() if task.done()]:
            if event_id not in waiting:  # removed meanwhile (by another relay, or by hand)
                self._forget(event_id)
        published = failed = deferred = 0
        # Records with the same topic and key go to one partition in order; once one fails,
        # the later ones wait so they cannot overtake it.
        blocked: set[tuple[str, str]] = set()
        for item in sorted(pending, key=lambda item: item.entry.created_at):
            entry = item.entry
            if (entry.topic, entry.key) in blocked:
                deferred += 1
                continue
            try:
                await self._acknowledged(entry)
            except PublishAbandoned:
                blocked.add((entry.topic, entry.key))
                failed += 1
                logger.info("outbox event %s left pending: the relay is stopping", entry.event_id)
                continue
            except TimeoutError:
                blocked.add((entry.topic, entry.key))
                failed += 1
                logger.warning(
                    "outbox event %s to %s not acknowledged within %.1fs; still in flight",
                    entry.event_id,
                    entry.topic,
                    self.publish_timeout,
                )
                continue
            except Exception as exc:
                blocked.add((entry.topic, entry.key))
                failed += 1
                logger.warning(
                    "publishing outbox event %s to %s failed, will retry: %r",
                    entry.event_id,
                    entry.topic,
                    exc,
                )
                continue
            published += 1
            await self._remove(item)
        return RelayPass(published=published, failed=failed, deferred=deferred, documents=documents)

    async def run(self) -> None:
        """Poll until `stop()` is called; errors are logged and the next pass retries."""
        self._stopping.clear()
        try:
            while not self._stopping.is_set():
                try:
                    result = await self.run_once()
                except Exception as exc:
                    # Typically the database is unreachable; one line per pass, not a traceback.
                    logger.warning(
                        "outbox relay pass failed, retrying in %.1fs: %r", self.poll_interval, exc
                    )
                    result = RelayPass()
                # A full batch that went through means more may be waiting: go again at once.
                if result.documents >= self._batch_size and result.published and not result.failed:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_interval)
        finally:
            self._abandon_in_flight()
            self._in_flight.clear()

    def stop(self) -> None:
        """Ask `run()` to return, abandoning publishes in flight (their entries stay pending)."""
        self._stopping.set()
        self._abandon_in_flight()

    async def _acknowledged(self, entry: OutboxEntry) -> None:
        """Publish `entry` (or keep waiting for its earlier publish) for up to the timeout."""
        task = self._in_flight.get(entry.event_id)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.create_task(self._send(entry), name=f"outbox-{entry.event_id}")
            self._in_flight[entry.event_id] = task
        # asyncio.wait, not wait_for: running out of time leaves the publish in flight.
        done, _ = await asyncio.wait({task}, timeout=self.publish_timeout)
        if not done:
            raise TimeoutError
        self._forget(entry.event_id)
        if task.cancelled():
            raise PublishAbandoned(entry.event_id)
        task.result()

    def _forget(self, event_id: str) -> None:
        task = self._in_flight.pop(event_id, None)
        if task is not None and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved

    async def _send(self, entry: OutboxEntry) -> None:
        await self._publish(entry.topic, entry.key, entry.value, entry.headers())

    def _abandon_in_flight(self) -> None:
        # The entries stay in their documents, so a cancelled publish goes out after a restart;
        # a record the producer still delivers is a repeat consumers drop by event_id.
        for task in self._in_flight.values():
            task.cancel()

    async def _pending(self) -> tuple[list[_Pending], int]:
        pending: list[_Pending] = []
        documents = 0
        for collection in self._collections:
            cursor = collection.find(_PENDING_FILTER, {OUTBOX_FIELD: 1}, limit=self._batch_size)
            async for document in cursor:
                documents += 1
                for stored in document.get(OUTBOX_FIELD) or []:
                    entry = _parse(stored, collection, document["_id"])
                    if entry is not None:
                        pending.append(_Pending(collection, document["_id"], stored, entry))
        return pending, documents

    async def _remove(self, item: _Pending) -> None:
        try:
            # Removed by its exact stored value (see the module docstring for why not $pull).
            await item.collection.update_one(
                {"_id": item.document_id}, {"$pullAll": {OUTBOX_FIELD: [item.stored]}}
            )
        except PyMongoError as exc:
            logger.warning(
                "outbox event %s was published but not removed; it will be published again: %r",
                item.entry.event_id,
                exc,
            )


def _parse(stored: object, collection: MongoCollection, document_id: object) -> OutboxEntry | None:
    try:
        return OutboxEntry.model_validate(stored)
    except ValidationError as exc:
        # Left in place rather than dropped: a human can repair it, a deletion is forever.
        logger.error(
            "malformed outbox entry in %s/%s left in place: %s", collection.name, document_id, exc
        )
        return None
