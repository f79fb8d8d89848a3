"""Where the history read models live: the repository port and its MongoDB adapter.

Writes are upserts of one document keyed by natural ids (user and interview or session), each
event setting only its own fields, so the documents end up the same in any order.

Every write and every lookup of one document filters on ``_id`` alone, and ``_id`` is the
natural key: FerretDB's SQLite backend finds a document by ``_id`` directly but scans the
collection for any other filter (``_id`` plus anything else included), which made each
upsert cost as much as the whole collection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, Protocol

from pydantic_core import to_json
from pymongo import DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError
from pymongo.results import UpdateResult

from common.mongo import IndexSpec, ensure_indexes
from common.pagination import PageRequest
from history.domain.filters import FeedbackFilter, InterviewFilter
from history.domain.records import (
    AttemptRecord,
    AttemptReport,
    InterviewRecord,
    ProgressEntry,
    progress_key,
)

PROGRESS: Final = "progress"
ProgressPart = Literal["session", "feedback"]
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

    async def feedback_attempts(
        self, user_id: str, filters: FeedbackFilter, page: PageRequest
    ) -> list[AttemptRecord]: ...

    async def save_progress(
        self, user_id: str, session_id: str, part: ProgressPart, fields: Mapping[str, Any]
    ) -> None: ...

    async def graded_attempts(self, user_id: str) -> list[AttemptRecord]: ...

    async def progress_entries(self, user_id: str) -> list[ProgressEntry]: ...

    async def report(self, user_id: str, session_id: str) -> AttemptReport | None: ...


def document_id(user_id: str, natural_id: str) -> str:
    """The ``_id`` of a user's interview, attempt or report; the length prefix keeps two
    different (user, id) pairs from ever producing the same string."""
    return f"{len(user_id)}:{user_id}/{natural_id}"


def _millis(value: datetime) -> datetime:
    # BSON keeps milliseconds: compare what is stored with what would be stored.
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


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
    """The read models in four collections of the service's own database."""

    def __init__(
        self,
        interviews: DocumentCollection,
        attempts: DocumentCollection,
        reports: DocumentCollection,
        progress: DocumentCollection,
    ) -> None:
        self._interviews = interviews
        self._attempts = attempts
        self._reports = reports
        self._progress = progress
        # FerretDB rewrites a whole document on update, so two concurrent $sets on one document
        # (a SessionCompleted and a FeedbackReady of one session, handled side by side by the two
        # consumers, both write its attempt, report and the user's progress) can lose one of
        # them for good: this process writes one update at a time.
        self._writes = asyncio.Lock()

    @classmethod
    def in_database(cls, database: Database) -> MongoHistoryRepository:
        """The repository over ``database``'s interviews, attempts, reports and progress."""
        return cls(database[INTERVIEWS], database[ATTEMPTS], database[REPORTS], database[PROGRESS])

    async def ensure_indexes(self) -> None:
        """Create the unique natural-key indexes the upserts rely on, and the list indexes."""
        for collection, name in (
            (self._interviews, INTERVIEWS),
            (self._attempts, ATTEMPTS),
            (self._reports, REPORTS),
        ):
            await ensure_indexes(collection, INDEXES[name])

    async def save_interview(
        self, user_id: str, interview_id: str, fields: Mapping[str, Any], *, if_missing: bool
    ) -> None:
        """Set ``fields`` on the interview, or only create it with them when ``if_missing``."""
        operator = "$setOnInsert" if if_missing else "$set"
        key = {"user_id": user_id, "interview_id": interview_id}
        await self._write(
            self._interviews, document_id(user_id, interview_id), {operator: {**fields, **key}}
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
        return await self._save(self._attempts, user_id, session_id, fields, feedback_at)

    async def save_report(
        self,
        user_id: str,
        session_id: str,
        fields: Mapping[str, Any],
        *,
        feedback_at: datetime | None = None,
    ) -> bool:
        """Set ``fields`` on the report; False when newer feedback is already there."""
        return await self._save(self._reports, user_id, session_id, fields, feedback_at)

    async def _save(
        self,
        collection: DocumentCollection,
        user_id: str,
        session_id: str,
        fields: Mapping[str, Any],
        feedback_at: datetime | None,
    ) -> bool:
        key = document_id(user_id, session_id)
        if feedback_at is not None:
            # A re-scored session may get a second FeedbackReady: the newest one wins in either
            # order, and the same one delivered again is applied again harmlessly. Reading, then
            # writing, is safe: one user's feedback events share a partition and are handled one
            # at a time, and the other events never write these fields.
            async for stored in collection.find({"_id": key}, {"feedback_created_at": 1}, limit=1):
                previous = stored.get("feedback_created_at")
                if previous is not None and previous > _millis(feedback_at):
                    return False
        update = {"$set": {**fields, "user_id": user_id, "session_id": session_id}}
        await self._write(collection, key, update)
        return True

    async def _write(
        self, collection: DocumentCollection, key: str, update: Mapping[str, Any]
    ) -> None:
        async with self._writes:
            await _upsert(collection, key, update)

    async def save_progress(
        self, user_id: str, session_id: str, part: ProgressPart, fields: Mapping[str, Any]
    ) -> None:
        """Set one event's ``part`` of the session's entry in the user's progress document."""
        # One document per user keeps GET /history/progress to a single lookup by _id (reading
        # a thousand attempt documents took FerretDB half a second), and each event's part is
        # one JSON string because FerretDB reads a document in time proportional to its number
        # of values: 2,000 strings read in less than half the time of 11,000 nested fields.
        path = f"points.{progress_key(session_id)}.{part}"
        update = {"$set": {path: to_json(dict(fields)).decode(), "user_id": user_id}}
        await self._write(self._progress, user_id, update)

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
        if len(ids) == 1:
            cursor = self._interviews.find({"_id": document_id(user_id, ids[0])}, {"_id": 0})
        else:
            query = {"user_id": user_id, "interview_id": {"$in": ids}}
            cursor = self._interviews.find(query, {"_id": 0})
        records = [InterviewRecord.model_validate(doc) async for doc in cursor]
        return {r.interview_id: r for r in records}

    async def attempts_of(self, user_id: str, interview_ids: Iterable[str]) -> list[AttemptRecord]:
        """All the user's attempts of the given interviews."""
        ids = sorted(set(interview_ids))
        if not ids:
            return []
        cursor = self._attempts.find({"user_id": user_id, "interview_id": {"$in": ids}}, {"_id": 0})
        return [AttemptRecord.model_validate(doc) async for doc in cursor]

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

    async def graded_attempts(self, user_id: str) -> list[AttemptRecord]:
        """Every graded attempt of the user."""
        cursor = self._attempts.find({"user_id": user_id, "gradable": True}, {"_id": 0})
        return [AttemptRecord.model_validate(doc) async for doc in cursor]

    async def progress_entries(self, user_id: str) -> list[ProgressEntry]:
        """Every entry of the user's progress document."""
        async for document in self._progress.find({"_id": user_id}, limit=1):
            points: dict[str, dict[str, str]] = document.get("points", {})
            return [
                ProgressEntry.model_validate(
                    {k: v for part in point.values() for k, v in json.loads(part).items()}
                )
                for point in points.values()
            ]
        return []

    async def report(self, user_id: str, session_id: str) -> AttemptReport | None:
        """The user's full report on attempt ``session_id``, if there is one."""
        cursor = self._reports.find({"_id": document_id(user_id, session_id)}, {"_id": 0}, limit=1)
        async for doc in cursor:
            return AttemptReport.model_validate(doc)
        return None


async def _upsert(collection: DocumentCollection, key: str, update: Mapping[str, Any]) -> None:
    """Apply ``update`` to the document ``key``, creating it if absent."""
    try:
        await collection.update_one({"_id": key}, update, upsert=True)
    except DuplicateKeyError:
        # Another event created the document between our match and our insert: it is there now.
        await collection.update_one({"_id": key}, update)
