"""Sessions and the interview copies they are built from, stored in MongoDB (db ``voice_agent``).

A session document is the whole record of one voice interview: its state, the interview it
runs, and every turn, appended the moment it is spoken. Each change is one single-document
write, so it works on MongoDB 7 and on FerretDB 1.x, and ``finish`` stores the terminal state
and the pending ``SessionCompleted`` in the same write (the outbox), so a session can be
finished, and announced, exactly once.

Turns are appended by position: the document keeps ``turn_count`` and an append of turn ``i``
only applies while ``turn_count == i``. A retried append of a turn that is already stored is
recognised and does nothing, a turn that would leave a gap or overwrite another one is refused,
and ``finish`` builds the transcript from exactly the turns it finishes with.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal, Protocol, get_args
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from common.events import (
    Interview,
    InterviewSpec,
    Outcome,
    SessionCompleted,
    Transcript,
    Turn,
    utcnow,
)
from common.events.models import MAX_TURNS
from common.mongo import OUTBOX_FIELD, OUTBOX_INDEX, IndexSpec, ensure_indexes, push_to_outbox
from common.mongo.collection import MongoCollection

logger = logging.getLogger(__name__)

SessionState = Literal["created", "active", "interrupted", "completed", "ended_early", "failed"]
LIVE_STATES: Final[tuple[SessionState, ...]] = ("created", "active", "interrupted")
TERMINAL_STATES: Final[tuple[SessionState, ...]] = ("completed", "ended_early", "failed")
ALL_STATES: Final[tuple[SessionState, ...]] = get_args(SessionState)

# Fields a caller of ``set_state`` may change alongside the state; turns, the interview and the
# outbox only change through their own methods.
STATE_FIELDS: Final = frozenset({"started_at", "worker_id", "last_seen_at", "current_question_id"})

SESSION_INDEXES: Final = (
    IndexSpec.on("user_id", "created_at", name="user_sessions"),
    IndexSpec.on("state", "last_seen_at", name="state_last_seen"),
    IndexSpec.on("state", "state_changed_at", name="state_changed"),
    OUTBOX_INDEX,
)
INTERVIEW_INDEXES: Final = (IndexSpec.on("user_id", name="user_interviews"),)

# Which timestamp says how long a session has been in a live state, for the sweeper.
_IDLE_SINCE: Final[Mapping[SessionState, str]] = {
    "created": "created_at",
    "active": "last_seen_at",
    "interrupted": "state_changed_at",
}
_FINISH_ATTEMPTS: Final = 5
# Set when the sweeper interrupts a session because its worker went silent: the worker it
# presumed dead. A heartbeat from that worker proves it wrong and makes the session active again.
_PRESUMED_DEAD: Final = "presumed_dead_worker"

# SessionCompleted's event_id is derived from the session id, so even a second announcement
# of one session (there is none by construction) would be deduplicated by every consumer.
_EVENT_NAMESPACE: Final = UUID("5b0f3e43-5d1c-4c54-9c1e-6f0f6d2a7a10")


class SessionNotFound(LookupError):
    """No session with this id (or not one of this user's)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"session '{session_id}' not found")
        self.session_id = session_id


class SessionAlreadyFinished(Exception):
    """The session has ended; it takes no more turns and cannot change state."""

    def __init__(self, session_id: str, state: str) -> None:
        super().__init__(f"session '{session_id}' has already ended ({state})")
        self.session_id = session_id
        self.state = state


class TurnOutOfOrder(Exception):
    """A turn was appended at a position that does not follow the stored turns."""


class SessionBusy(Exception):
    """The session kept changing while it was being finished; try again."""


def seed_for(session_id: str) -> int:
    """The conductor seed of a session: stable across processes (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:4], "big")


def completed_event_id(session_id: str) -> UUID:
    """The event id of the one ``SessionCompleted`` a session publishes."""
    return uuid5(_EVENT_NAMESPACE, f"session-completed:{session_id}")


class SessionRecord(BaseModel):
    """One voice session as stored: state, the interview it runs, and the turns so far."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    user_id: str
    interview_id: str
    room: str
    state: SessionState
    interview: InterviewSpec
    seed: int
    turns: tuple[Turn, ...] = ()
    current_question_id: str | None = None
    created_at: AwareDatetime
    state_changed_at: AwareDatetime
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    worker_id: str | None = None
    last_seen_at: AwareDatetime | None = None
    correlation_id: str | None = Field(
        default=None, description="Of the request that created the session; the event keeps it."
    )

    @property
    def finished(self) -> bool:
        """Whether the session has reached a terminal state."""
        return self.state in TERMINAL_STATES

    def transcript(self, outcome: Outcome, ended_at: datetime) -> Transcript:
        """The ``SessionCompleted`` payload of this session ending now with ``outcome``."""
        return Transcript(
            session_id=self.session_id,
            interview_id=self.interview_id,
            user_id=self.user_id,
            started_at=self.started_at or self.created_at,
            ended_at=ended_at,
            outcome=outcome,
            interview=self.interview,
            turns=list(self.turns),
        )

    def completed_event(self, outcome: Outcome, ended_at: datetime) -> SessionCompleted:
        """The event announcing that this session ended with ``outcome``."""
        extra: dict[str, Any] = {}
        if self.correlation_id:
            extra["correlation_id"] = self.correlation_id
        return SessionCompleted(
            event_id=completed_event_id(self.session_id),
            occurred_at=ended_at,
            data=self.transcript(outcome, ended_at),
            **extra,
        )

    def to_document(self) -> dict[str, Any]:
        """The stored form; datetimes stay BSON dates so they can be compared in queries."""
        document = self.model_dump(exclude={"session_id", "interview", "turns"})
        return {
            "_id": self.session_id,
            **document,
            "interview": self.interview.model_dump(mode="json"),
            "turns": [turn.model_dump(mode="json") for turn in self.turns],
            "turn_count": len(self.turns),
            OUTBOX_FIELD: [],
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> SessionRecord:
        """Read a stored session back."""
        fields = {k: v for k, v in document.items() if k not in ("_id", OUTBOX_FIELD)}
        return cls.model_validate({**fields, "session_id": document["_id"]})


class SessionCollection(MongoCollection, Protocol):
    """What the stores need from a collection; PyMongo's and the in-memory fake satisfy it."""

    async def find_one(
        self, filter: Mapping[str, Any] | None = None, projection: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None: ...

    async def count_documents(self, filter: Mapping[str, Any]) -> int: ...


class SessionStore(Protocol):
    """Where sessions live; the API, the sweeper and the worker all go through it."""

    async def create(self, record: SessionRecord) -> None:
        """Store a new session."""
        ...

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None."""
        ...

    async def get_owned(self, session_id: str, user_id: str) -> SessionRecord | None:
        """The session if it exists and belongs to ``user_id``, else None."""
        ...

    async def append_turn(
        self,
        session_id: str,
        turn: Turn,
        current_question_id: str | None,
        *,
        index: int | None = None,
    ) -> bool:
        """Store ``turn`` as turn ``index`` (default: the next one); False if already stored."""
        ...

    async def set_state(
        self, session_id: str, state: SessionState, *, at: datetime | None = None, **fields: Any
    ) -> bool:
        """Move a live session to another live state; False if it has already ended."""
        ...

    async def activate(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """A worker took the session: active, its worker, seen now, started if not before."""
        ...

    async def heartbeat(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """The worker is alive; False once the session ended or another worker took it."""
        ...

    async def finish(self, session_id: str, outcome: Outcome, ended_at: datetime) -> bool:
        """End the session and queue its ``SessionCompleted``; False if it had already ended."""
        ...

    async def interrupt_if_silent(
        self, session_id: str, worker_id: str | None, silent_since: datetime, at: datetime
    ) -> bool:
        """Mark an active session interrupted if ``worker_id`` has been silent since then."""
        ...

    async def idle(self, state: SessionState, since: datetime) -> list[SessionRecord]:
        """Live sessions in ``state`` whose clock for that state is older than ``since``."""
        ...

    async def discard(self, session_id: str) -> bool:
        """Delete a session that never got going (no worker, no turns)."""
        ...

    async def count_by_state(self) -> dict[SessionState, int]:
        """How many sessions are in each live state."""
        ...


class InterviewStore(Protocol):
    """This service's copies of the interviews, learnt from ``InterviewCreated``."""

    async def save(self, interview: Interview) -> bool:
        """Keep a copy; False if it was already known."""
        ...

    async def get(self, interview_id: str) -> Interview | None:
        """The interview, or None if it has not arrived (yet)."""
        ...


class MongoSessionStore:
    """``SessionStore`` over the ``sessions`` collection."""

    def __init__(self, collection: SessionCollection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        """Create the indexes the API, the sweeper and the outbox relay query by."""
        await ensure_indexes(self.collection, SESSION_INDEXES)

    async def create(self, record: SessionRecord) -> None:
        """Store a new session (DuplicateKeyError if the id is taken)."""
        await self.collection.insert_one(record.to_document())

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None."""
        document = await self.collection.find_one({"_id": session_id}, {OUTBOX_FIELD: 0})
        return SessionRecord.from_document(document) if document else None

    async def get_owned(self, session_id: str, user_id: str) -> SessionRecord | None:
        """The session if it exists and belongs to ``user_id``, else None."""
        document = await self.collection.find_one(
            {"_id": session_id, "user_id": user_id}, {OUTBOX_FIELD: 0}
        )
        return SessionRecord.from_document(document) if document else None

    async def append_turn(
        self,
        session_id: str,
        turn: Turn,
        current_question_id: str | None,
        *,
        index: int | None = None,
    ) -> bool:
        """Store ``turn`` as turn ``index`` and set the current question, in one write.

        ``index`` is the turn's position in the transcript (the conductor's
        ``Utterance.turn_index``; after a resume, positions continue from the stored turns).
        Without it the turn goes after the last stored one, and a retry is recognised by being
        equal to the last stored turn. Returns False when that exact turn is already stored.

        Raises:
            SessionNotFound: No such session.
            SessionAlreadyFinished: The session has ended.
            TurnOutOfOrder: Another turn is stored at ``index``, or ``index`` leaves a gap.
            ValueError: ``index`` is negative or beyond the transcript limit.
        """
        if index is None:
            return await self._append_next(session_id, turn, current_question_id)
        if not 0 <= index < MAX_TURNS:
            raise ValueError(f"index must be between 0 and {MAX_TURNS - 1}, got {index}")
        result = await self.collection.update_one(
            {"_id": session_id, "state": {"$in": list(LIVE_STATES)}, "turn_count": index},
            {
                "$push": {"turns": turn.model_dump(mode="json")},
                "$inc": {"turn_count": 1},
                "$set": {"current_question_id": current_question_id},
            },
        )
        if result.matched_count:
            return True
        document = await self.collection.find_one(
            {"_id": session_id}, {"turns": 1, "state": 1, "turn_count": 1}
        )
        if document is None:
            raise SessionNotFound(session_id)
        stored = document.get("turns") or []
        if index < len(stored) and Turn.model_validate(stored[index]) == turn:
            return False
        if document["state"] in TERMINAL_STATES:
            raise SessionAlreadyFinished(session_id, document["state"])
        raise TurnOutOfOrder(
            f"session '{session_id}' has {len(stored)} turns; turn {index} "
            + ("would leave a gap" if index > len(stored) else "is already a different turn")
        )

    async def _append_next(
        self, session_id: str, turn: Turn, current_question_id: str | None
    ) -> bool:
        for _ in range(_FINISH_ATTEMPTS):
            document = await self.collection.find_one(
                {"_id": session_id}, {"turns": 1, "state": 1, "turn_count": 1}
            )
            if document is None:
                raise SessionNotFound(session_id)
            stored = document.get("turns") or []
            if stored and Turn.model_validate(stored[-1]) == turn:
                return False
            try:
                return await self.append_turn(
                    session_id, turn, current_question_id, index=len(stored)
                )
            except TurnOutOfOrder:
                continue  # another turn got in first; go after it
        raise SessionBusy(f"session '{session_id}' kept changing while a turn was appended")

    async def set_state(
        self, session_id: str, state: SessionState, *, at: datetime | None = None, **fields: Any
    ) -> bool:
        """Move a live session to ``state`` (live), stamping ``state_changed_at``.

        Setting the state it already has restarts its clock: re-marking an interrupted session
        as interrupted gives the candidate a fresh grace period.

        Args:
            session_id: The session.
            state: created, active or interrupted; terminal states go through ``finish``.
            at: When the change happened; now if omitted.
            **fields: Any of started_at, worker_id, last_seen_at, current_question_id.
        """
        if state not in LIVE_STATES:
            raise ValueError(
                f"state must be one of {', '.join(LIVE_STATES)}; end a session with finish()"
            )
        unknown = sorted(set(fields) - STATE_FIELDS)
        if unknown:
            raise ValueError(
                f"set_state cannot change {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(STATE_FIELDS))}"
            )
        result = await self.collection.update_one(
            {"_id": session_id, "state": {"$in": list(LIVE_STATES)}},
            {
                "$set": {"state": state, "state_changed_at": at or utcnow(), **fields},
                # Whoever sets the state knows better than the sweeper's guess.
                "$unset": {_PRESUMED_DEAD: ""},
            },
        )
        return bool(result.matched_count)

    async def activate(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """A worker took the session: active, its worker, seen now, started if not before."""
        await self.collection.update_one(
            {"_id": session_id, "state": {"$in": list(LIVE_STATES)}, "started_at": None},
            {"$set": {"started_at": at}},
        )
        return await self.set_state(
            session_id, "active", at=at, worker_id=worker_id, last_seen_at=at
        )

    async def heartbeat(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """The worker is alive; False once the session ended or another worker took it.

        A worker the sweeper took for dead (it went silent too long, say a long pause) gets its
        session back as active: only the sweeper's guess made it interrupted.
        """
        result = await self.collection.update_one(
            {"_id": session_id, "state": {"$in": list(LIVE_STATES)}, "worker_id": worker_id},
            {"$set": {"last_seen_at": at}},
        )
        if not result.matched_count:
            return False
        await self.collection.update_one(
            {"_id": session_id, "state": "interrupted", _PRESUMED_DEAD: worker_id},
            {"$set": {"state": "active", "state_changed_at": at}, "$unset": {_PRESUMED_DEAD: ""}},
        )
        return True

    async def finish(self, session_id: str, outcome: Outcome, ended_at: datetime) -> bool:
        """End the session with ``outcome`` and queue its ``SessionCompleted``, in one write.

        The write only applies while the session is live and holds exactly the turns the event
        was built from; if a turn slipped in meanwhile, the event is rebuilt and tried again.
        Returns False if the session had already ended, so two workers, or a worker and the
        sweeper, can never both announce it.

        Raises:
            SessionNotFound: No such session.
            SessionBusy: Turns kept arriving through every attempt.
        """
        for _ in range(_FINISH_ATTEMPTS):
            document = await self.collection.find_one({"_id": session_id}, {OUTBOX_FIELD: 0})
            if document is None:
                raise SessionNotFound(session_id)
            record = SessionRecord.from_document(document)
            if record.finished:
                return False
            event = record.completed_event(outcome, ended_at)
            update = push_to_outbox(
                event,
                update={
                    "$set": {"state": outcome, "ended_at": ended_at, "state_changed_at": ended_at}
                },
            )
            result = await self.collection.update_one(
                {
                    "_id": session_id,
                    "state": {"$in": list(LIVE_STATES)},
                    "turn_count": len(record.turns),
                },
                update,
            )
            if result.matched_count:
                logger.info(
                    "session finished",
                    extra={
                        "session_id": session_id,
                        "outcome": outcome,
                        "turns": len(record.turns),
                    },
                )
                return True
        raise SessionBusy(f"session '{session_id}' kept changing while it was being finished")

    async def interrupt_if_silent(
        self, session_id: str, worker_id: str | None, silent_since: datetime, at: datetime
    ) -> bool:
        """Mark an active session interrupted if ``worker_id`` has been silent since then."""
        result = await self.collection.update_one(
            {
                "_id": session_id,
                "state": "active",
                "worker_id": worker_id,
                "last_seen_at": {"$lt": silent_since},
            },
            {"$set": {"state": "interrupted", "state_changed_at": at, _PRESUMED_DEAD: worker_id}},
        )
        return bool(result.matched_count)

    async def idle(self, state: SessionState, since: datetime) -> list[SessionRecord]:
        """Live sessions in ``state`` whose clock for that state is older than ``since``.

        The clock is ``created_at`` for created sessions, ``last_seen_at`` (the worker's
        heartbeat) for active ones and ``state_changed_at`` for interrupted ones.
        """
        if state not in _IDLE_SINCE:
            raise ValueError(f"state must be one of {', '.join(_IDLE_SINCE)}, got {state!r}")
        cursor = self.collection.find(
            {"state": state, _IDLE_SINCE[state]: {"$lt": since}}, {OUTBOX_FIELD: 0}, limit=500
        )
        return [SessionRecord.from_document(document) async for document in cursor]

    async def discard(self, session_id: str) -> bool:
        """Delete a session that never got going (still created, no turns)."""
        result = await self.collection.delete_one(
            {"_id": session_id, "state": "created", "turn_count": 0}
        )
        return bool(result.deleted_count)

    async def count_by_state(self) -> dict[SessionState, int]:
        """How many sessions are in each live state."""
        return {
            state: await self.collection.count_documents({"state": state}) for state in LIVE_STATES
        }


class MongoInterviewStore:
    """``InterviewStore`` over the ``interviews`` collection (``_id`` = interview id)."""

    def __init__(self, collection: SessionCollection) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        """Create the interview indexes."""
        await ensure_indexes(self.collection, INTERVIEW_INDEXES)

    async def save(self, interview: Interview) -> bool:
        """Keep a copy (first one wins: an interview never changes); False if already known."""
        document = interview.model_dump(exclude={"id"})
        result = await self.collection.update_one(
            {"_id": interview.id}, {"$setOnInsert": document}, upsert=True
        )
        return result.upserted_id is not None

    async def get(self, interview_id: str) -> Interview | None:
        """The interview, or None if it has not arrived (yet)."""
        document = await self.collection.find_one({"_id": interview_id})
        if document is None:
            return None
        fields = {k: v for k, v in document.items() if k != "_id"}
        return Interview.model_validate({**fields, "id": document["_id"]})
