"""Where feedback lives: the repository port and its MongoDB adapter.

One document per session, ``_id`` = session id: a session delivered twice, even as two events
with different ids, can be stored only once. The ``FeedbackReady`` event rides in the same
insert (the outbox), so storing the feedback and announcing it cannot come apart.

The outbox relay looks for pending entries through ``PendingFeedback``, which reads a small
collection of session ids instead of querying all feedback: FerretDB cannot use the outbox
index, and its scan of a thousand feedback documents took 6 s per relay pass here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError
from pymongo.results import DeleteResult, InsertOneResult, UpdateResult

from common.events import Feedback, FeedbackReady, InterviewSpec
from common.mongo import OUTBOX_FIELD, OUTBOX_INDEX, MongoCollection, ensure_indexes, with_outbox

FEEDBACK: Final = "feedback"
PENDING: Final = "feedback_pending"

_READ_FIELDS: Final[Mapping[str, Any]] = {"feedback": 1, "interview": 1, "user_id": 1}


@dataclass(frozen=True)
class StoredFeedback:
    """A session's feedback and the interview it was about (for the readable report)."""

    feedback: Feedback
    interview: InterviewSpec


class FeedbackRepository(Protocol):
    """Feedback documents keyed by session."""

    async def ensure_indexes(self) -> None:
        """Create the indexes the adapter relies on."""
        ...

    async def has(self, session_id: str) -> bool:
        """Whether the session already has feedback."""
        ...

    async def add(
        self, feedback: Feedback, interview: InterviewSpec, announcement: FeedbackReady
    ) -> bool:
        """Store feedback with its announcement; False when the session already had feedback."""
        ...

    async def owned(self, user_id: str, session_id: str) -> StoredFeedback | None:
        """The feedback on ``session_id`` if it belongs to ``user_id``."""
        ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PendingFeedback:
    """The feedback collection as the outbox relay sees it: ``find`` visits only documents
    named in the pending collection, every other operation goes to the feedback collection.

    A session's mark is written before its feedback, so no feedback with an outbox entry can
    lack one. A mark is removed when the relay pulls the feedback's (single) entry, when a pass
    finds the feedback without entries, or when no feedback followed it within
    ``abandon_after`` (the process died between the two writes).
    """

    def __init__(
        self,
        feedback: MongoCollection,
        pending: MongoCollection,
        *,
        abandon_after: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.feedback = feedback
        self.pending = pending
        self._abandon_after = abandon_after
        self._clock = clock

    @property
    def name(self) -> str:
        """The feedback collection's name."""
        return self.feedback.name

    async def mark(self, session_id: str) -> None:
        """Note that the session's feedback is about to carry an outbox entry."""
        with contextlib.suppress(DuplicateKeyError):
            await self.pending.insert_one({"_id": session_id, "marked_at": self._clock()})

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        limit: int = 0,
    ) -> AsyncIterator[dict[str, Any]]:
        """Feedback documents of marked sessions that match ``filter``."""
        return self._marked(dict(filter or {}), projection, limit)

    async def _marked(
        self, filter: dict[str, Any], projection: Mapping[str, Any] | None, limit: int
    ) -> AsyncIterator[dict[str, Any]]:
        marks = [m async for m in self.pending.find({}, limit=limit)]
        for mark in marks:
            session_id = mark["_id"]
            # An _id lookup is the one query FerretDB answers without reading every document.
            found = [
                d
                async for d in self.feedback.find(
                    {**filter, "_id": session_id}, projection, limit=1
                )
            ]
            if found:
                yield found[0]
                continue
            stored = [
                d async for d in self.feedback.find({"_id": session_id}, {OUTBOX_FIELD: 1}, limit=1)
            ]
            relayed = bool(stored) and not stored[0].get(OUTBOX_FIELD)
            abandoned = not stored and mark["marked_at"] <= self._clock() - self._abandon_after
            if relayed or abandoned:
                await self.pending.delete_one({"_id": session_id})

    async def insert_one(self, document: dict[str, Any]) -> InsertOneResult:
        """Insert into the feedback collection."""
        return await self.feedback.insert_one(document)

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResult:
        """Update the feedback collection; the relay removes a published entry this way."""
        result = await self.feedback.update_one(filter, update, upsert=upsert)
        session_id = filter.get("_id")
        if result.modified_count and OUTBOX_FIELD in update.get("$pullAll", {}) and session_id:
            # Feedback carries exactly one announcement, so once it is published the session
            # needs no more relaying; forgetting it now spares the next pass two lookups.
            await self.pending.delete_one({"_id": session_id})
        return result

    async def delete_one(self, filter: Mapping[str, Any]) -> DeleteResult:
        """Delete from the feedback collection."""
        return await self.feedback.delete_one(filter)

    async def create_indexes(self, indexes: Sequence[IndexModel]) -> list[str]:
        """Index the feedback collection."""
        return await self.feedback.create_indexes(indexes)

    async def list_indexes(self) -> AsyncIterator[Mapping[str, Any]]:
        """The feedback collection's indexes."""
        return await self.feedback.list_indexes()


class Database(Protocol):
    """A database whose collections are looked up by name, like PyMongo's."""

    def __getitem__(self, name: str) -> MongoCollection: ...


class MongoFeedbackRepository:
    """``FeedbackRepository`` on a MongoDB (or FerretDB) collection.

    Without a ``pending`` collection the relay queries the feedback collection itself, which
    is fine on MongoDB and in memory, and slow on FerretDB once feedback piles up.
    """

    def __init__(self, collection: MongoCollection, pending: MongoCollection | None = None) -> None:
        self.collection = collection
        self._pending = PendingFeedback(collection, pending) if pending is not None else None

    @classmethod
    def in_database(cls, database: Database) -> MongoFeedbackRepository:
        """The repository over ``feedback`` and ``feedback_pending`` of ``database``."""
        return cls(database[FEEDBACK], database[PENDING])

    @property
    def outbox(self) -> MongoCollection:
        """What the outbox relay should read: the pending view when there is one."""
        return self._pending or self.collection

    async def ensure_indexes(self) -> None:
        """The outbox index; ``_id`` is the session, so no other unique index is needed."""
        await ensure_indexes(self.collection, [OUTBOX_INDEX])

    async def has(self, session_id: str) -> bool:
        """Whether the session already has feedback."""
        async for _ in self.collection.find({"_id": session_id}, {"_id": 1}, limit=1):
            return True
        return False

    async def add(
        self, feedback: Feedback, interview: InterviewSpec, announcement: FeedbackReady
    ) -> bool:
        """Insert feedback and its outbox entry in one write; a duplicate session is refused."""
        document = {
            "_id": feedback.session_id,
            "user_id": feedback.user_id,
            "interview_id": feedback.interview_id,
            "created_at": feedback.created_at,
            "engine": feedback.scorer.engine,
            "gradable": feedback.gradable,
            "event_id": str(announcement.event_id),
            "feedback": feedback.model_dump(mode="json"),
            "interview": interview.model_dump(mode="json"),
        }
        if self._pending is not None:
            await self._pending.mark(feedback.session_id)
        try:
            await self.collection.insert_one(with_outbox(document, announcement))
        except DuplicateKeyError:
            return False
        return True

    async def owned(self, user_id: str, session_id: str) -> StoredFeedback | None:
        """The feedback on ``session_id`` if it belongs to ``user_id``."""
        # Only an `_id`-only filter is an index lookup on FerretDB (with the owner beside it,
        # it scans every user's feedback), so ownership is checked here.
        async for document in self.collection.find({"_id": session_id}, _READ_FIELDS, limit=1):
            if document.get("user_id") != user_id:
                return None
            return StoredFeedback(
                feedback=Feedback.model_validate(document["feedback"]),
                interview=InterviewSpec.model_validate(document["interview"]),
            )
        return None
