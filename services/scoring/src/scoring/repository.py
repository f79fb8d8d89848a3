"""Where feedback lives: the repository port and its MongoDB adapter.

One document per session, ``_id`` = session id: a session delivered twice, even as two events
with different ids, can be stored only once. The ``FeedbackReady`` event rides in the same
insert (the outbox), so storing the feedback and announcing it cannot come apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from pymongo.errors import DuplicateKeyError

from common.events import Feedback, FeedbackReady, InterviewSpec
from common.mongo import OUTBOX_INDEX, MongoCollection, ensure_indexes, with_outbox

FEEDBACK: Final = "feedback"

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


class MongoFeedbackRepository:
    """``FeedbackRepository`` on a MongoDB (or FerretDB) collection."""

    def __init__(self, collection: MongoCollection) -> None:
        self.collection = collection

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
        try:
            await self.collection.insert_one(with_outbox(document, announcement))
        except DuplicateKeyError:
            return False
        return True

    async def owned(self, user_id: str, session_id: str) -> StoredFeedback | None:
        """The feedback on ``session_id`` if it belongs to ``user_id``."""
        query = {"_id": session_id, "user_id": user_id}
        async for document in self.collection.find(query, _READ_FIELDS, limit=1):
            return StoredFeedback(
                feedback=Feedback.model_validate(document["feedback"]),
                interview=InterviewSpec.model_validate(document["interview"]),
            )
        return None
