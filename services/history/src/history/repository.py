"""Where the history read models live: the repository port and its MongoDB adapter.

Writes are upserts of one document keyed by natural ids (user and interview or session), each
event setting only its own fields. A write that races another event's first write for the same
document hits the unique key; it is then retried as a plain update, which finds the document.

The natural key is also the document's ``_id``: FerretDB's SQLite backend looks documents up by
``_id`` directly but scans the collection for any other filter, which made every upsert cost
as much as the user's whole history.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Protocol

from pymongo import DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError
from pymongo.results import UpdateResult

from common.mongo import IndexSpec
from history.domain.filters import FeedbackFilter, InterviewFilter
from history.domain.pagination import PageRequest
from history.domain.records import AttemptRecord, AttemptReport, InterviewRecord

INTERVIEWS: Final = "interviews"
ATTEMPTS: Final = "attempts"
REPORTS: Final = "reports"

INDEXES: Final[Mapping[str, tuple[IndexSpec, ...]]] = {
    INTERVIEWS: (
        IndexSpec.on("user_id", "interview_id", name="user_interview_unique", unique=True),
        IndexSpec(
            keys=(("user_id", 1), ("created_at", DESCENDING), ("interview_id", DESCENDING)),
            name="user_created",
        ),
    ),
    ATTEMPTS: (
        IndexSpec.on("user_id", "session_id", name="user_session_unique", unique=True),
        IndexSpec.on("user_id", "interview_id", name="user_interview"),
        IndexSpec(
            keys=(("user_id", 1), ("feedback_created_at", DESCENDING), ("session_id", DESCENDING)),
            name="user_feedback_created",
        ),
    ),
    REPORTS: (IndexSpec.on("user_id", "session_id", name="user_session_unique", unique=True),),
}

# Only what progress needs: keeps a 1,000-session request light on the database.
_PROGRESS_FIELDS: Final = {
    "_id": 0,
    "session_id": 1,
    "user_id": 1,
    "interview_id": 1,
    "ended_at": 1,
    "feedback_id": 1,
    "feedback_created_at": 1,
    "gradable": 1,
    "role": 1,
    "interview_type": 1,
    "overall_score": 1,
    "category_scores": 1,
}


class DocumentCollection(Protocol):
    """The part of a PyMongo collection the adapter uses (and its in-memory fake provides)."""

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResult: ...

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
    ) -> AsyncIterator[dict[str, Any]]: ...

    async def create_indexes(self, indexes: Sequence[IndexModel]) -> list[str]: ...

    async def list_indexes(self) -> AsyncIterator[Mapping[str, Any]]: ...


class Database(Protocol):
    """A database whose collections are looked up by name, like PyMongo's."""

    def __getitem__(self, name: str) -> DocumentCollection: ...


class HistoryRepository(Protocol):
    """Storage of interviews, attempts and reports, always scoped to one user."""

    async def ensure_indexes(self) -> None: ...

    async def save_interview(
        self, user_id: str, interview_id: str, fields: Mapping[str, Any], *, if_missing: bool
    ) -> None: ...

    async def save_attempt(
        self,
        user_id: str,
        session_id: str,
        fields: Mapping[str, Any],
        *,
        feedback_at: datetime | None = None,
    ) -> bool: ...

    async def save_report(
        self,
        user_id: str,
        session_id: str,
        fields: Mapping[str, Any],
        *,
        feedback_at: datetime | None = None,
    ) -> bool: ...

    async def interviews(
        self, user_id: str, filters: InterviewFilter, page: PageRequest
    ) -> list[InterviewRecord]: ...

    async def interviews_by_id(
        self, user_id: str, interview_ids: Iterable[str]
    ) -> dict[str, InterviewRecord]: ...

    async def attempts_of(
        self, user_id: str, interview_ids: Iterable[str]
    ) -> list[AttemptRecord]: ...

    async def attempt(self, user_id: str, session_id: str) -> AttemptRecord | None: ...

    async def feedback_attempts(
        self, user_id: str, filters: FeedbackFilter, page: PageRequest
    ) -> list[AttemptRecord]: ...

    async def graded_attempts(self, user_id: str, *, details: bool) -> list[AttemptRecord]: ...

    async def report(self, user_id: str, session_id: str) -> AttemptReport | None: ...


def document_id(user_id: str, natural_id: str) -> str:
    """The ``_id`` of a user's interview, attempt or report; the length prefix keeps two
    different (user, id) pairs from ever producing the same string."""
    return f"{len(user_id)}:{user_id}/{natural_id}"


def _newer_feedback(feedback_at: datetime | None) -> dict[str, Any]:
    # A re-scored session may produce a second FeedbackReady; the newest feedback wins whatever
    # order the two arrive in, and a redelivery of the same one is applied again harmlessly.
    if feedback_at is None:
        return {}
    return {
        "$or": [
            {"feedback_created_at": {"$exists": False}},
            {"feedback_created_at": None},
            {"feedback_created_at": {"$lte": feedback_at}},
        ]
    }


def _range(field: str, low: datetime | None, high: datetime | None) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if low is not None:
        bounds["$gte"] = low
    if high is not None:
        bounds["$lt"] = high
    return {field: bounds} if bounds else {}


def _after(field: str, id_field: str, page: PageRequest) -> dict[str, Any]:
    if page.after is None:
        return {}
    at, ident = page.after.at, page.after.id
    return {"$or": [{field: {"$lt": at}}, {field: at, id_field: {"$lt": ident}}]}


def _all_of(*conditions: Mapping[str, Any]) -> dict[str, Any]:
    present = [dict(c) for c in conditions if c]
    if len(present) <= 1:
        return present[0] if present else {}
    return {"$and": present}


class MongoHistoryRepository:
    """The read models in three collections of the service's own database."""

    def __init__(
        self,
        interviews: DocumentCollection,
        attempts: DocumentCollection,
        reports: DocumentCollection,
    ) -> None:
        self._interviews = interviews
        self._attempts = attempts
        self._reports = reports

    @classmethod
    def in_database(cls, database: Database) -> MongoHistoryRepository:
        """The repository over ``database``'s interviews, attempts and reports collections."""
        return cls(database[INTERVIEWS], database[ATTEMPTS], database[REPORTS])

    async def ensure_indexes(self) -> None:
        """Create the unique natural-key indexes the upserts rely on, and the list indexes."""
        for collection, name in (
            (self._interviews, INTERVIEWS),
            (self._attempts, ATTEMPTS),
            (self._reports, REPORTS),
        ):
            # FerretDB 1.24 (SQLite) drops the connection when createIndexes names an index that
            # exists next to one with another number of keys, so only missing ones are created.
            existing = {index["name"] async for index in await collection.list_indexes()}
            missing = [spec.to_index_model() for spec in INDEXES[name] if spec.name not in existing]
            if missing:
                await collection.create_indexes(missing)

    async def save_interview(
        self, user_id: str, interview_id: str, fields: Mapping[str, Any], *, if_missing: bool
    ) -> None:
        """Set ``fields`` on the interview, or only create it with them when ``if_missing``."""
        operator = "$setOnInsert" if if_missing else "$set"
        await _upsert(
            self._interviews,
            {
                "_id": document_id(user_id, interview_id),
                "user_id": user_id,
                "interview_id": interview_id,
            },
            {},
            {operator: dict(fields)},
        )

    async def save_attempt(
        self,
        user_id: str,
        session_id: str,
        fields: Mapping[str, Any],
        *,
        feedback_at: datetime | None = None,
    ) -> bool:
        """Set ``fields`` on the attempt; False when newer feedback is already there."""
        return await _upsert(
            self._attempts,
            {"_id": document_id(user_id, session_id), "user_id": user_id, "session_id": session_id},
            _newer_feedback(feedback_at),
            {"$set": dict(fields)},
        )

    async def save_report(
        self,
        user_id: str,
        session_id: str,
        fields: Mapping[str, Any],
        *,
        feedback_at: datetime | None = None,
    ) -> bool:
        """Set ``fields`` on the report; False when newer feedback is already there."""
        return await _upsert(
            self._reports,
            {"_id": document_id(user_id, session_id), "user_id": user_id, "session_id": session_id},
            _newer_feedback(feedback_at),
            {"$set": dict(fields)},
        )

    async def interviews(
        self, user_id: str, filters: InterviewFilter, page: PageRequest
    ) -> list[InterviewRecord]:
        """One page of the user's interviews, newest first, one more than asked if any."""
        query: dict[str, Any] = {"user_id": user_id}
        for name in ("role", "interview_type", "level", "source"):
            if (value := getattr(filters, name)) is not None:
                query[name] = value
        if filters.tech is not None:
            query["tech_stack"] = filters.tech
        query = _all_of(
            query,
            _range("created_at", filters.created_from, filters.created_to),
            _after("created_at", "interview_id", page),
        )
        cursor = self._interviews.find(
            query,
            {"_id": 0},
            sort=[("created_at", DESCENDING), ("interview_id", DESCENDING)],
            limit=page.limit + 1,
        )
        return [InterviewRecord.model_validate(doc) async for doc in cursor]

    async def interviews_by_id(
        self, user_id: str, interview_ids: Iterable[str]
    ) -> dict[str, InterviewRecord]:
        """The user's interviews among ``interview_ids``, by id."""
        ids = sorted(set(interview_ids))
        if not ids:
            return {}
        keys = [document_id(user_id, i) for i in ids]
        cursor = self._interviews.find({"_id": {"$in": keys}, "user_id": user_id}, {"_id": 0})
        records = [InterviewRecord.model_validate(doc) async for doc in cursor]
        return {r.interview_id: r for r in records}

    async def attempts_of(self, user_id: str, interview_ids: Iterable[str]) -> list[AttemptRecord]:
        """All the user's attempts of the given interviews."""
        ids = sorted(set(interview_ids))
        if not ids:
            return []
        cursor = self._attempts.find({"user_id": user_id, "interview_id": {"$in": ids}}, {"_id": 0})
        return [AttemptRecord.model_validate(doc) async for doc in cursor]

    async def attempt(self, user_id: str, session_id: str) -> AttemptRecord | None:
        """The user's attempt ``session_id``, if there is one."""
        cursor = self._attempts.find(
            {"_id": document_id(user_id, session_id), "user_id": user_id}, {"_id": 0}, limit=1
        )
        async for doc in cursor:
            return AttemptRecord.model_validate(doc)
        return None

    async def feedback_attempts(
        self, user_id: str, filters: FeedbackFilter, page: PageRequest
    ) -> list[AttemptRecord]:
        """One page of the user's attempts with feedback, newest feedback first."""
        query: dict[str, Any] = {"user_id": user_id, "feedback_id": {"$exists": True}}
        for name in ("role", "interview_type", "gradable"):
            if (value := getattr(filters, name)) is not None:
                query[name] = value
        query = _all_of(
            query,
            _range("feedback_created_at", filters.created_from, filters.created_to),
            _after("feedback_created_at", "session_id", page),
        )
        cursor = self._attempts.find(
            query,
            {"_id": 0},
            sort=[("feedback_created_at", DESCENDING), ("session_id", DESCENDING)],
            limit=page.limit + 1,
        )
        return [AttemptRecord.model_validate(doc) async for doc in cursor]

    async def graded_attempts(self, user_id: str, *, details: bool) -> list[AttemptRecord]:
        """Every graded attempt of the user; topics and speech only with ``details``."""
        cursor = self._attempts.find(
            {"user_id": user_id, "gradable": True},
            {"_id": 0} if details else _PROGRESS_FIELDS,
        )
        return [AttemptRecord.model_validate(doc) async for doc in cursor]

    async def report(self, user_id: str, session_id: str) -> AttemptReport | None:
        """The user's full report on attempt ``session_id``, if there is one."""
        cursor = self._reports.find(
            {"_id": document_id(user_id, session_id), "user_id": user_id}, {"_id": 0}, limit=1
        )
        async for doc in cursor:
            return AttemptReport.model_validate(doc)
        return None


async def _upsert(
    collection: DocumentCollection,
    key: Mapping[str, Any],
    condition: Mapping[str, Any],
    update: Mapping[str, Any],
) -> bool:
    """Apply ``update`` to the document ``key`` if it meets ``condition``, creating it if absent.

    Returns False when the document exists and does not meet ``condition``.
    """
    query = {**key, **condition}
    try:
        await collection.update_one(query, update, upsert=True)
    except DuplicateKeyError:
        # Either another event created the document between our match and our insert, or it
        # exists and fails ``condition``; a plain update tells the two apart.
        result = await collection.update_one(query, update)
        return result.matched_count > 0
    return True
