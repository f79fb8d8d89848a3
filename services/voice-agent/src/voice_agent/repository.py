"""Sessions and the interview copies they are built from, stored in MongoDB (db ``voice_agent``).

A session is the record of one voice interview: its state, the interview it runs, and every
turn, stored the moment it is spoken. The API, the sweeper and the worker all write to it at
the same time, and FerretDB 1.x can lose one of two concurrent updates of a document, so every
write that must not be lost is an insert under an ``_id`` of its own (see
``MongoSessionStore``); it works the same on MongoDB 7. ``finish`` stores the terminal state and
the pending ``SessionCompleted`` in one insert (the outbox), so a session is finished, and
announced, exactly once.

Turns are stored by position: turn ``i`` is the document ``<session_id>:<i>``. A retried append
of a turn that is already stored is recognised and does nothing, a turn that would leave a gap
or overwrite another one is refused, and ``finish`` builds the transcript from exactly the
turns it finishes with.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol, get_args
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pymongo.errors import DuplicateKeyError

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
from common.mongo import OUTBOX_FIELD, OUTBOX_INDEX, IndexSpec, ensure_indexes, outbox_entry
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
        """The session document as created (version 0; turns are stored one by one)."""
        document = self.model_dump(
            exclude={"session_id", "interview", "turns", "current_question_id", "last_seen_at"}
        )
        return {
            "_id": self.session_id,
            **document,
            "interview": self.interview.model_dump(mode="json"),
            "version": 0,
        }


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
    """``SessionStore`` over the ``sessions`` collection and three siblings of it.

    FerretDB 1.x applies an update by reading the whole document and writing it back, so two
    updates of one document at once can lose one of them, conditional filters included; only
    an insert under an ``_id`` that is already taken reliably fails for the second writer.
    So no two parties ever update one document here:

    - ``<sessions>_turns``: one document per turn, ``_id`` = ``<session_id>:<position>``,
      only ever inserted. ``finish`` inserts an end mark at the next position, so no turn can
      follow the transcript it announces.
    - ``<sessions>_changes``: every state change is a new version, ``_id`` =
      ``<session_id>:v<version>``, holding the whole live state (and, for the terminal one,
      the pending ``SessionCompleted``: the outbox). Inserting version n+1 is the
      compare-and-set: of two parties changing version n at once, one insert fails and that
      party reads again and retries.
    - ``<sessions>_heartbeats``: ``_id`` = session id, written only by the worker holding it.
    - ``sessions`` keeps what never changes (who, what interview, seed) and a copy of the
      latest state for queries (``idle``, ``count_by_state``); a copy overwritten by an older
      one is repaired by the next read, which always follows the changes to the latest.
    """

    def __init__(
        self,
        collection: SessionCollection,
        *,
        turns: SessionCollection | None = None,
        changes: SessionCollection | None = None,
        heartbeats: SessionCollection | None = None,
    ) -> None:
        self.collection = collection
        self.turns = turns if turns is not None else _sibling(collection, "turns")
        self.changes = changes if changes is not None else _sibling(collection, "changes")
        self.heartbeats = (
            heartbeats if heartbeats is not None else _sibling(collection, "heartbeats")
        )

    @property
    def outbox_collections(self) -> tuple[SessionCollection, ...]:
        """Where pending ``SessionCompleted`` events wait for the relay."""
        return (self.changes, self.collection)

    async def ensure_indexes(self) -> None:
        """Create the indexes the API, the sweeper and the outbox relay query by."""
        await ensure_indexes(self.collection, SESSION_INDEXES)
        await ensure_indexes(self.changes, (OUTBOX_INDEX,))

    async def create(self, record: SessionRecord) -> None:
        """Store a new session (DuplicateKeyError if the id is taken)."""
        await self.collection.insert_one(record.to_document())
        for index, turn in enumerate(record.turns):
            await self.append_turn(record.session_id, turn, record.current_question_id, index=index)

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None."""
        document = await self.collection.find_one({"_id": session_id}, _NO_OUTBOX)
        return await self._record(document) if document else None

    async def get_owned(self, session_id: str, user_id: str) -> SessionRecord | None:
        """The session if it exists and belongs to ``user_id``, else None."""
        # `_id` alone is an index lookup on FerretDB; with the owner in the filter it scans
        # every user's sessions, so ownership is checked here.
        document = await self.collection.find_one({"_id": session_id}, _NO_OUTBOX)
        if document is None or document.get("user_id") != user_id:
            return None
        return await self._record(document)

    async def append_turn(
        self,
        session_id: str,
        turn: Turn,
        current_question_id: str | None,
        *,
        index: int | None = None,
    ) -> bool:
        """Store ``turn`` as turn ``index``, with the question under way.

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
        await self._live_state(session_id)  # refuses a turn of an ended session early
        if index > 0:
            before = await self.turns.find_one({"_id": _turn_id(session_id, index - 1)})
            if before is None:
                count = len(await self._stored_turns(session_id))
                raise TurnOutOfOrder(
                    f"session '{session_id}' has {count} turns; turn {index} would leave a gap"
                )
            if before.get("end"):
                raise SessionAlreadyFinished(session_id, await self._state_name(session_id))
        document = {
            "_id": _turn_id(session_id, index),
            "session_id": session_id,
            "seq": index,
            "turn": turn.model_dump(mode="json"),
            "current_question_id": current_question_id,
        }
        try:
            await self.turns.insert_one(document)
        except DuplicateKeyError:
            stored = await self.turns.find_one({"_id": _turn_id(session_id, index)})
            if stored is None or stored.get("end"):
                raise SessionAlreadyFinished(
                    session_id, await self._state_name(session_id)
                ) from None
            if Turn.model_validate(stored["turn"]) == turn:
                return False
            raise TurnOutOfOrder(
                f"session '{session_id}' turn {index} is already a different turn"
            ) from None
        return True

    async def _append_next(
        self, session_id: str, turn: Turn, current_question_id: str | None
    ) -> bool:
        for _ in range(_FINISH_ATTEMPTS):
            stored = await self._stored_turns(session_id)
            if not stored and await self.collection.find_one({"_id": session_id}) is None:
                raise SessionNotFound(session_id)
            if stored and Turn.model_validate(stored[-1]["turn"]) == turn:
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
        when = at or utcnow()
        seen = fields.pop("last_seen_at", None)
        fields.pop("current_question_id", None)  # follows the turns; kept with each one

        def change(live: dict[str, Any]) -> dict[str, Any] | None:
            if live["state"] not in LIVE_STATES:
                return None
            # Whoever sets the state knows better than the sweeper's guess.
            return {
                **live,
                **fields,
                "state": state,
                "state_changed_at": when,
                _PRESUMED_DEAD: None,
            }

        changed = await self._change(session_id, change)
        if changed and seen is not None and fields.get("worker_id"):
            await self._beat(session_id, fields["worker_id"], seen)
        return changed

    async def activate(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """A worker took the session: active, its worker, seen now, started if not before."""

        def change(live: dict[str, Any]) -> dict[str, Any] | None:
            if live["state"] not in LIVE_STATES:
                return None
            return {
                **live,
                "state": "active",
                "state_changed_at": at,
                "worker_id": worker_id,
                "started_at": live.get("started_at") or at,
                _PRESUMED_DEAD: None,
            }

        await self._beat(session_id, worker_id, at)
        return await self._change(session_id, change)

    async def heartbeat(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """The worker is alive; False once the session ended or another worker took it.

        A worker the sweeper took for dead (it went silent too long, say a long pause) gets its
        session back as active: only the sweeper's guess made it interrupted.
        """
        live = await self._latest(session_id)
        if live is None or live["state"] not in LIVE_STATES or live.get("worker_id") != worker_id:
            return False
        await self._beat(session_id, worker_id, at)
        if live["state"] == "interrupted" and live.get(_PRESUMED_DEAD) == worker_id:

            def back(now: dict[str, Any]) -> dict[str, Any] | None:
                if now["state"] != "interrupted" or now.get(_PRESUMED_DEAD) != worker_id:
                    return None
                return {**now, "state": "active", "state_changed_at": at, _PRESUMED_DEAD: None}

            await self._change(session_id, back)
        return True

    async def finish(self, session_id: str, outcome: Outcome, ended_at: datetime) -> bool:
        """End the session with ``outcome`` and queue its ``SessionCompleted``, in one insert.

        First an end mark goes after the stored turns (no turn can follow it), then the
        terminal version is inserted with the event built from exactly those turns. Returns
        False if the session had already ended, so two workers, or a worker and the sweeper,
        can never both announce it.

        Raises:
            SessionNotFound: No such session.
            SessionBusy: The session kept changing through every attempt.
        """
        for _ in range(_FINISH_ATTEMPTS):
            document = await self.collection.find_one({"_id": session_id}, _NO_OUTBOX)
            if document is None:
                raise SessionNotFound(session_id)
            live = await self._latest(session_id, document)
            assert live is not None
            if live["state"] not in LIVE_STATES:
                return False
            stored = await self._stored_turns(session_id)
            if not await self._end_mark(session_id, len(stored)):
                continue  # a turn got in first: build the event again with it
            record = self._compose(document, live, stored)
            event = record.completed_event(outcome, ended_at)
            final = {
                **live,
                "state": outcome,
                "ended_at": ended_at,
                "state_changed_at": ended_at,
                _PRESUMED_DEAD: None,
            }
            if await self._insert_change(session_id, live["version"] + 1, final, event):
                logger.info(
                    "session finished",
                    extra={"session_id": session_id, "outcome": outcome, "turns": len(stored)},
                )
                return True
        raise SessionBusy(f"session '{session_id}' kept changing while it was being finished")

    async def interrupt_if_silent(
        self, session_id: str, worker_id: str | None, silent_since: datetime, at: datetime
    ) -> bool:
        """Mark an active session interrupted if ``worker_id`` has been silent since then."""
        beat = await self.heartbeats.find_one({"_id": session_id})

        def change(live: dict[str, Any]) -> dict[str, Any] | None:
            if live["state"] != "active" or live.get("worker_id") != worker_id:
                return None
            seen = _aware(beat["last_seen_at"]) if beat else None
            if beat is not None and beat.get("worker_id") == worker_id and seen is not None:
                if seen >= silent_since:
                    return None
            elif _aware(live["state_changed_at"]) >= silent_since:
                return None
            return {
                **live,
                "state": "interrupted",
                "state_changed_at": at,
                _PRESUMED_DEAD: worker_id,
            }

        return await self._change(session_id, change)

    async def idle(self, state: SessionState, since: datetime) -> list[SessionRecord]:
        """Live sessions in ``state`` whose clock for that state is older than ``since``.

        The clock is ``created_at`` for created sessions, ``last_seen_at`` (the worker's
        heartbeat) for active ones and ``state_changed_at`` for interrupted ones. Their turns
        are not read (``turns`` is empty): deciding about a session needs none.
        """
        if state not in _IDLE_SINCE:
            raise ValueError(f"state must be one of {', '.join(_IDLE_SINCE)}, got {state!r}")
        query: dict[str, Any] = {"state": state}
        if state != "active":
            query[_IDLE_SINCE[state]] = {"$lt": since}
        cursor = self.collection.find(query, _NO_OUTBOX, limit=500)
        found: list[SessionRecord] = []
        async for document in cursor:
            record = await self._record(document, with_turns=False)
            if record.state != state:
                continue  # the copy was behind; reading it repaired it
            if state == "active":
                seen = record.last_seen_at or record.state_changed_at
                if seen >= since:
                    continue
            elif state == "interrupted" and record.state_changed_at >= since:
                continue
            found.append(record)
        return found

    async def discard(self, session_id: str) -> bool:
        """Delete a session that never got going (still created, no turns)."""
        live = await self._latest(session_id)
        if live is None or live["state"] != "created" or live["version"] != 0:
            return False
        if await self.turns.find_one({"_id": _turn_id(session_id, 0)}) is not None:
            return False
        result = await self.collection.delete_one(
            {"_id": session_id, "state": "created", "version": 0}
        )
        return bool(result.deleted_count)

    async def count_by_state(self) -> dict[SessionState, int]:
        """How many sessions are in each live state (from the copies; repaired as read)."""
        return {
            state: await self.collection.count_documents({"state": state}) for state in LIVE_STATES
        }

    # --- the pieces ----------------------------------------------------------------------

    async def _record(
        self, document: Mapping[str, Any], *, with_turns: bool = True
    ) -> SessionRecord:
        session_id = str(document["_id"])
        live = await self._latest(session_id, document)
        assert live is not None
        stored = await self._stored_turns(session_id) if with_turns else []
        beat = await self.heartbeats.find_one({"_id": session_id})
        return self._compose(document, live, stored, beat)

    def _compose(
        self,
        document: Mapping[str, Any],
        live: Mapping[str, Any],
        stored: Sequence[Mapping[str, Any]],
        beat: Mapping[str, Any] | None = None,
    ) -> SessionRecord:
        identity = {k: v for k, v in document.items() if k in _IDENTITY_FIELDS}
        state = {k: v for k, v in live.items() if k in _LIVE_FIELDS and k != _PRESUMED_DEAD}
        current = stored[-1].get("current_question_id") if stored else None
        seen = None
        if beat is not None and beat.get("worker_id") == live.get("worker_id"):
            seen = beat.get("last_seen_at")
        return SessionRecord.model_validate(
            {
                **identity,
                **state,
                "session_id": document["_id"],
                "turns": [entry["turn"] for entry in stored],
                "current_question_id": current,
                "last_seen_at": seen,
            }
        )

    async def _latest(
        self, session_id: str, document: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The session's live state at its latest version, repairing a copy that was behind."""
        if document is None:
            document = await self.collection.find_one({"_id": session_id}, _NO_OUTBOX)
            if document is None:
                return None
        version = int(document.get("version", 0))
        live: dict[str, Any] = {k: document.get(k) for k in _LIVE_FIELDS}
        live["version"] = version
        behind = False
        while True:
            newer = await self.changes.find_one(
                {"_id": _change_id(session_id, version + 1)}, _NO_OUTBOX
            )
            if newer is None:
                break
            version += 1
            live = {k: newer.get(k) for k in _LIVE_FIELDS}
            live["version"] = version
            behind = True
        if behind:
            await self._copy(session_id, live)
        return live

    async def _change(
        self, session_id: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> bool:
        """Compare-and-set: apply ``change`` to the latest version as the next one; retried."""
        for _ in range(_FINISH_ATTEMPTS * 2):
            live = await self._latest(session_id)
            if live is None:
                return False
            changed = change(dict(live))
            if changed is None:
                return False
            if await self._insert_change(session_id, live["version"] + 1, changed):
                return True
        raise SessionBusy(f"session '{session_id}' kept changing while its state was set")

    async def _insert_change(
        self,
        session_id: str,
        version: int,
        live: Mapping[str, Any],
        event: SessionCompleted | None = None,
    ) -> bool:
        document: dict[str, Any] = {
            "_id": _change_id(session_id, version),
            "session_id": session_id,
            **{k: live.get(k) for k in _LIVE_FIELDS},
            "version": version,
        }
        if event is not None:
            document[OUTBOX_FIELD] = [outbox_entry(event)]
        try:
            await self.changes.insert_one(document)
        except DuplicateKeyError:
            return False  # another party changed this version first
        await self._copy(session_id, {**live, "version": version})
        return True

    async def _copy(self, session_id: str, live: Mapping[str, Any]) -> None:
        """Bring the session document's copy of the state up to ``live`` (best effort)."""
        values = {k: live.get(k) for k in _LIVE_FIELDS}
        await self.collection.update_one(
            {"_id": session_id, "version": {"$lt": live["version"]}},
            {"$set": {**values, "version": live["version"]}},
        )

    async def _beat(self, session_id: str, worker_id: str, at: datetime) -> None:
        await self.heartbeats.update_one(
            {"_id": session_id},
            {"$set": {"worker_id": worker_id, "last_seen_at": at}},
            upsert=True,
        )

    async def _end_mark(self, session_id: str, position: int) -> bool:
        """Put the end mark at ``position``; False if a turn is there (it came in first)."""
        try:
            await self.turns.insert_one(
                {"_id": _turn_id(session_id, position), "session_id": session_id, "end": True}
            )
        except DuplicateKeyError:
            there = await self.turns.find_one({"_id": _turn_id(session_id, position)})
            return bool(there and there.get("end"))
        return True

    async def _stored_turns(self, session_id: str) -> list[dict[str, Any]]:
        """The turn documents in order, up to the first gap or the end mark."""
        stored: list[dict[str, Any]] = []
        while True:
            batch = await asyncio.gather(
                *(
                    self.turns.find_one({"_id": _turn_id(session_id, len(stored) + n)})
                    for n in range(_READ_AHEAD)
                )
            )
            for document in batch:
                if document is None or document.get("end"):
                    return stored
                stored.append(document)

    async def _live_state(self, session_id: str) -> str:
        live = await self._latest(session_id)
        if live is None:
            raise SessionNotFound(session_id)
        if live["state"] not in LIVE_STATES:
            raise SessionAlreadyFinished(session_id, live["state"])
        return str(live["state"])

    async def _state_name(self, session_id: str) -> str:
        live = await self._latest(session_id)
        return str(live["state"]) if live else "gone"


_NO_OUTBOX: Final = {OUTBOX_FIELD: 0}
# Turns read at once when a transcript is read back (each one an ``_id`` lookup).
_READ_AHEAD: Final = 8
_IDENTITY_FIELDS: Final = frozenset(
    {"user_id", "interview_id", "room", "interview", "seed", "created_at", "correlation_id"}
)
# The state of a session that changes, one version at a time.
_LIVE_FIELDS: Final = (
    "state",
    "state_changed_at",
    "started_at",
    "ended_at",
    "worker_id",
    _PRESUMED_DEAD,
)


def _turn_id(session_id: str, position: int) -> str:
    return f"{session_id}:{position:05d}"


def _change_id(session_id: str, version: int) -> str:
    return f"{session_id}:v{version:05d}"


def _aware(value: datetime) -> datetime:
    # BSON dates come back naive (UTC) from PyMongo unless the client is tz-aware.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sibling(collection: SessionCollection, suffix: str) -> SessionCollection:
    database = getattr(collection, "database", None)
    if database is None:
        raise ValueError(
            f"pass the {suffix} collection explicitly: {collection.name!r} has no database"
        )
    sibling: SessionCollection = database[f"{collection.name}_{suffix}"]
    return sibling


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
