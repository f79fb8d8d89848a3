"""Idempotent consumers: remember which events each consumer has already handled."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from pymongo.errors import DuplicateKeyError

from common.mongo.collection import MongoCollection
from common.mongo.indexes import IndexSpec, ensure_indexes

logger = logging.getLogger(__name__)

PROCESSED_EVENTS_INDEXES: Final = (
    IndexSpec.on("event_id", "consumer", name="event_id_consumer_unique", unique=True),
)

_CLAIMED: Final = "claimed"
_DONE: Final = "done"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _key(event_id: UUID | str, consumer: str) -> dict[str, str]:
    # The pair is also the document's _id: FerretDB answers a lookup by _id directly but scans
    # the whole ledger for a filter on other fields, which made every event slower than the last.
    return {"_id": f"{consumer}:{event_id}", "event_id": str(event_id), "consumer": consumer}


class ProcessedEvents:
    """A ledger of `(event_id, consumer)` pairs backed by a unique index.

    Kafka delivers at least once, so a handler may see the same event again after a crash or
    a rebalance. Two ways to use it:

    - `seen` before and `mark` after the handler: what `common.messaging.EventConsumer` does
      (this class satisfies its `ProcessedEvents` protocol). Concurrent duplicates may both
      run, so the handler's own writes should be idempotent (upserts keyed by natural ids).
    - `claim` before the handler, then `complete` or `release` (or `handle_once`, which does
      all three): lets exactly one delivery through; a claim abandoned by a crash expires
      after `lease`.
    """

    def __init__(
        self,
        collection: MongoCollection,
        *,
        lease: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        """Use `collection` (e.g. `db["processed_events"]`) as the ledger.

        Args:
            collection: The ledger collection; call `ensure_indexes` once at startup.
            lease: How long a claim that was neither completed nor released blocks
                redeliveries; after that the handler is assumed to have crashed.
            clock: Source of the current UTC time, injectable for tests.
        """
        self._collection = collection
        self._lease = lease
        self._clock = clock

    async def ensure_indexes(self) -> None:
        """Create the unique index that makes `claim` safe under concurrent deliveries."""
        await ensure_indexes(self._collection, PROCESSED_EVENTS_INDEXES)

    async def seen(self, event_id: UUID | str, consumer: str) -> bool:
        """True when `consumer` finished handling the event before.

        Args:
            event_id: The envelope's `event_id`.
            consumer: A stable name of the handler, e.g. "history.interview-created".
        """
        key = _key(event_id, consumer)
        async for document in self._collection.find({"_id": key["_id"]}, {"status": 1}, limit=1):
            return bool(document.get("status") == _DONE)
        return False

    async def mark(self, event_id: UUID | str, consumer: str) -> None:
        """Record that `consumer` handled the event; marking twice is harmless.

        Args:
            event_id: The envelope's `event_id`.
            consumer: A stable name of the handler.
        """
        # A concurrent mark may insert the same pair between our match and our insert.
        with contextlib.suppress(DuplicateKeyError):
            key = _key(event_id, consumer)
            await self._collection.update_one(
                {"_id": key["_id"]},
                {
                    "$set": {
                        "event_id": key["event_id"],
                        "consumer": consumer,
                        "status": _DONE,
                        "completed_at": self._clock(),
                    }
                },
                upsert=True,
            )

    async def claim(self, event_id: UUID | str, consumer: str) -> bool:
        """Claim an event for `consumer`; False when it was already processed or is in progress.

        Args:
            event_id: The envelope's `event_id`.
            consumer: A stable name of the handler, e.g. "history.interview-created".
        """
        now = self._clock()
        key = _key(event_id, consumer)
        try:
            await self._collection.insert_one({**key, "status": _CLAIMED, "claimed_at": now})
        except DuplicateKeyError:
            pass
        else:
            return True
        # The pair exists. Take it over only if it is an abandoned claim; the filter makes the
        # take-over a single conditional write, so two redeliveries cannot both win.
        stale = await self._collection.update_one(
            {"_id": key["_id"], "status": _CLAIMED, "claimed_at": {"$lte": now - self._lease}},
            {"$set": {"claimed_at": now}},
        )
        if stale.matched_count:
            logger.warning("taking over abandoned claim on event %s by %s", event_id, consumer)
            return True
        return False

    async def complete(self, event_id: UUID | str, consumer: str) -> None:
        """Record that `consumer` finished handling the event; it will never be claimed again.

        Args:
            event_id: The envelope's `event_id`.
            consumer: The name passed to `claim`.
        """
        await self.mark(event_id, consumer)

    async def release(self, event_id: UUID | str, consumer: str) -> None:
        """Give up a claim after a failed attempt, so the next delivery is handled again.

        Args:
            event_id: The envelope's `event_id`.
            consumer: The name passed to `claim`.
        """
        await self._collection.delete_one(
            {"_id": _key(event_id, consumer)["_id"], "status": _CLAIMED}
        )

    async def handle_once(
        self,
        event_id: UUID | str,
        consumer: str,
        handler: Callable[[], Awaitable[None]],
    ) -> bool:
        """Run `handler` unless the event was handled before; True when it ran.

        On an exception the claim is released and the exception propagates, so the consumer's
        retry/DLQ policy decides what happens next.

        Args:
            event_id: The envelope's `event_id`.
            consumer: A stable name of the handler.
            handler: The side effects of handling the event.
        """
        if not await self.claim(event_id, consumer):
            logger.info("skipping event %s already handled by %s", event_id, consumer)
            return False
        try:
            await handler()
        except BaseException:
            # Cancellation too: a consumer shutting down mid-handler must not leave a claim
            # that blocks the redelivery for the whole lease.
            await self.release(event_id, consumer)
            raise
        await self.complete(event_id, consumer)
        return True
