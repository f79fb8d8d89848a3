"""Where setup chats and interviews live: the repository ports and their MongoDB adapters.

Only single-document writes and plain queries are used, so the same code runs on MongoDB 7 and
FerretDB 1.x. A new interview and its `InterviewCreated` event are one `insert_one` (the event
rides in the document's outbox); a setup chat is one document whose state is replaced with an
optimistic check on its turn counter. Each user's recently asked questions are kept in one
small document read by `_id`, so that creating an interview does not scan the user's history
(FerretDB answers only `_id` lookups without a scan).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pymongo import DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError
from pymongo.results import DeleteResult, InsertOneResult, UpdateResult

from common.events import Interview, InterviewCreated, InterviewType, Role
from common.mongo import OUTBOX_INDEX, IndexSpec, ensure_indexes, with_outbox
from common.pagination import PageRequest
from interview_builder.domain.conversation import SetupState

SETUPS: Final = "setups"
INTERVIEWS: Final = "interviews"
RECENT_QUESTIONS: Final = "recent_questions"

INDEXES: Final[Mapping[str, tuple[IndexSpec, ...]]] = {
    SETUPS: (IndexSpec.on("user_id", "updated_at", name="user_updated"),),
    INTERVIEWS: (
        OUTBOX_INDEX,
        IndexSpec(
            keys=(("user_id", 1), ("created_at", DESCENDING), ("id", DESCENDING)),
            name="user_created",
        ),
    ),
}

# The stored fields that are not part of the interview itself.
_DELETED_AT: Final = "deleted_at"


class DocumentCollection(Protocol):
    """The part of a PyMongo collection the adapters use (and the test fake provides)."""

    @property
    def name(self) -> str: ...

    async def insert_one(self, document: dict[str, Any]) -> InsertOneResult: ...

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResult: ...

    async def delete_many(self, filter: Mapping[str, Any]) -> DeleteResult: ...

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


class SetupRecord(BaseModel):
    """One stored setup chat: whose it is, where it stands, and the interview it will create."""

    model_config = ConfigDict(frozen=True)

    setup_id: str
    user_id: str
    state: SetupState
    interview_id: str
    confirmed: bool = False
    created_at: AwareDatetime
    updated_at: AwareDatetime


class RecentInterview(BaseModel):
    """One of a user's latest interviews, as far as question choice cares."""

    model_config = ConfigDict(frozen=True)

    interview_id: str
    question_ids: list[str]


@dataclass(frozen=True)
class InterviewFilter:
    """Which of a user's interviews a list shows; None means any."""

    role: Role | None = None
    interview_type: InterviewType | None = None
    tech: str | None = None


class SetupRepository(Protocol):
    """Storage of setup chats, always scoped to their owner."""

    async def ensure_indexes(self) -> None: ...

    async def add(self, setup: SetupRecord) -> None: ...

    async def get(
        self, user_id: str, setup_id: str, *, touched_since: datetime
    ) -> SetupRecord | None: ...

    async def save_state(self, setup: SetupRecord, *, previous_turn: int) -> bool: ...

    async def mark_confirmed(self, user_id: str, setup_id: str, at: datetime) -> None: ...

    async def forget_untouched_since(self, cutoff: datetime) -> int: ...


class InterviewRepository(Protocol):
    """Storage of interviews, always scoped to their owner."""

    async def ensure_indexes(self) -> None: ...

    async def add(self, interview: Interview, event: InterviewCreated) -> bool: ...

    async def get(self, user_id: str, interview_id: str) -> Interview | None: ...

    async def page(
        self, user_id: str, filters: InterviewFilter, page: PageRequest
    ) -> list[Interview]: ...

    async def recent(self, user_id: str) -> list[RecentInterview]: ...

    async def remember_recent(self, user_id: str, recent: list[RecentInterview]) -> None: ...

    async def delete(self, user_id: str, interview_id: str, at: datetime) -> bool: ...


async def _create_indexes(collection: DocumentCollection, name: str) -> None:
    await ensure_indexes(collection, INDEXES[name])


class MongoSetupRepository:
    """Setup chats in the `setups` collection, one document each."""

    def __init__(self, setups: DocumentCollection) -> None:
        self._setups = setups

    async def ensure_indexes(self) -> None:
        """Create the owner-and-age index the lookups and the clean-up use."""
        await _create_indexes(self._setups, SETUPS)

    async def add(self, setup: SetupRecord) -> None:
        """Store a new setup chat."""
        await self._setups.insert_one({"_id": setup.setup_id, **setup.model_dump()})

    async def get(
        self, user_id: str, setup_id: str, *, touched_since: datetime
    ) -> SetupRecord | None:
        """The user's setup chat, unless it was last touched before `touched_since`."""
        # No TTL index on FerretDB: an expired chat is filtered out here and deleted later.
        # `_id` alone is an index lookup on FerretDB; owner and age are checked here, since
        # adding them to the filter makes it scan every user's chats.
        async for document in self._setups.find({"_id": setup_id}, limit=1):
            record = SetupRecord.model_validate(document)
            if record.user_id != user_id or record.updated_at < touched_since:
                return None
            return record
        return None

    async def save_state(self, setup: SetupRecord, *, previous_turn: int) -> bool:
        """Replace the chat's state; False when another message changed it first."""
        result = await self._setups.update_one(
            {
                "_id": setup.setup_id,
                "user_id": setup.user_id,
                "state.turn": previous_turn,
                "confirmed": False,
            },
            {
                "$set": {
                    "state": setup.state.model_dump(mode="json"),
                    "updated_at": setup.updated_at,
                }
            },
        )
        return result.matched_count > 0

    async def mark_confirmed(self, user_id: str, setup_id: str, at: datetime) -> None:
        """Record that the chat became its interview."""
        await self._setups.update_one(
            {"_id": setup_id, "user_id": user_id},
            {"$set": {"confirmed": True, "updated_at": at}},
        )

    async def forget_untouched_since(self, cutoff: datetime) -> int:
        """Delete chats last touched before `cutoff`; returns how many."""
        result = await self._setups.delete_many({"updated_at": {"$lt": cutoff}})
        return result.deleted_count


class MongoInterviewRepository:
    """Interviews in the `interviews` collection; each carries its pending events."""

    def __init__(self, interviews: DocumentCollection, recent: DocumentCollection) -> None:
        self._interviews = interviews
        self._recent = recent

    @classmethod
    def in_database(cls, database: Database) -> MongoInterviewRepository:
        """The repository over `database`'s interviews and recent_questions collections."""
        return cls(database[INTERVIEWS], database[RECENT_QUESTIONS])

    @property
    def collection(self) -> DocumentCollection:
        """The collection whose outbox the relay publishes."""
        return self._interviews

    async def ensure_indexes(self) -> None:
        """Create the outbox index and the newest-first list index."""
        await _create_indexes(self._interviews, INTERVIEWS)

    async def add(self, interview: Interview, event: InterviewCreated) -> bool:
        """Store the interview with `event` in its outbox; False when the id already exists."""
        document = {"_id": interview.id, **interview.model_dump(), _DELETED_AT: None}
        try:
            await self._interviews.insert_one(with_outbox(document, event))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, user_id: str, interview_id: str) -> Interview | None:
        """The user's interview, unless deleted."""
        # `_id` alone is an index lookup on FerretDB; with the owner beside it the filter scans.
        async for document in self._interviews.find({"_id": interview_id}, limit=1):
            if document.get("user_id") != user_id or document.get(_DELETED_AT) is not None:
                return None
            return Interview.model_validate(document)
        return None

    async def page(
        self, user_id: str, filters: InterviewFilter, page: PageRequest
    ) -> list[Interview]:
        """One page of the user's interviews, newest first, one more than asked if any."""
        query: dict[str, Any] = {"user_id": user_id, _DELETED_AT: None}
        if filters.role is not None:
            query["role"] = filters.role
        if filters.interview_type is not None:
            query["interview_type"] = filters.interview_type
        if filters.tech is not None:
            query["tech_stack"] = filters.tech
        if page.after is not None:
            at, ident = page.after.at, page.after.id
            query = {
                "$and": [
                    query,
                    {
                        "$or": [
                            {"created_at": {"$lt": at}},
                            {"created_at": at, "id": {"$lt": ident}},
                        ]
                    },
                ]
            }
        cursor = self._interviews.find(
            query,
            {"outbox": 0},
            sort=[("created_at", DESCENDING), ("id", DESCENDING)],
            limit=page.limit + 1,
        )
        return [Interview.model_validate(document) async for document in cursor]

    async def recent(self, user_id: str) -> list[RecentInterview]:
        """The user's latest interviews as last remembered, most recent first."""
        async for document in self._recent.find({"_id": user_id}, limit=1):
            return [RecentInterview.model_validate(item) for item in document["interviews"]]
        return []

    async def remember_recent(self, user_id: str, recent: list[RecentInterview]) -> None:
        """Replace the user's list of latest interviews."""
        update = {"$set": {"interviews": [item.model_dump() for item in recent]}}
        try:
            await self._recent.update_one({"_id": user_id}, update, upsert=True)
        except DuplicateKeyError:
            # A concurrent first write for this user inserted the document first.
            await self._recent.update_one({"_id": user_id}, update)

    async def delete(self, user_id: str, interview_id: str, at: datetime) -> bool:
        """Hide the interview from its owner; False when there is no such live interview."""
        result = await self._interviews.update_one(
            {"_id": interview_id, "user_id": user_id, _DELETED_AT: None},
            {"$set": {_DELETED_AT: at}},
        )
        return result.matched_count > 0
