"""The session store: turns kept as they happen, exactly once; one SessionCompleted a session."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from common.events import Interview, SessionCompleted, Turn
from common.events.topics import SESSION_COMPLETED
from common.mongo import OutboxRelay
from common.testing.mongo import InMemoryCollection
from common.testing.outbox import FakePublisher
from voice_agent.repository import (
    MongoInterviewStore,
    MongoSessionStore,
    SessionAlreadyFinished,
    SessionNotFound,
    SessionRecord,
    TurnOutOfOrder,
    seed_for,
)
from voice_agent.testing import ManualClock

SESSION = "s-1"
OWNER = "user-ada"  # the conftest interview's owner
STRANGER = "user-eve"


def turn(n: int, *, speaker: str = "candidate", question_id: str | None = "q-dupes") -> Turn:
    return Turn.model_validate(
        {
            "speaker": speaker,
            "text": f"line {n}",
            "start_ms": n * 1_000,
            "end_ms": n * 1_000 + 800,
            "question_id": question_id,
            "kind": "answer" if speaker == "candidate" else "question",
            "stt_confidence": 0.87 if speaker == "candidate" else None,
        }
    )


def record(interview: Interview, now: datetime, session_id: str = SESSION) -> SessionRecord:
    return SessionRecord(
        session_id=session_id,
        user_id=interview.user_id,
        interview_id=interview.id,
        room=f"mocksy-{session_id}",
        state="created",
        interview=interview,
        seed=seed_for(session_id),
        created_at=now,
        state_changed_at=now,
        correlation_id="corr-123",
    )


@pytest.fixture
async def stored(
    sessions: MongoSessionStore, interview: Interview, clock: ManualClock
) -> MongoSessionStore:
    await sessions.create(record(interview, clock()))
    await sessions.activate(SESSION, "worker-a", clock())
    return sessions


def outbox(sessions: MongoSessionStore) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for collection in sessions.outbox_collections:
        assert isinstance(collection, InMemoryCollection)
        for document in collection.documents:
            entries += document.get("outbox", [])
    return entries


async def test_turns_are_kept_in_order_with_the_current_question(stored: MongoSessionStore) -> None:
    await stored.append_turn(SESSION, turn(0, speaker="interviewer"), "q-dupes", index=0)
    await stored.append_turn(SESSION, turn(1), "q-dupes", index=1)
    await stored.append_turn(SESSION, turn(2, question_id="q-conflict"), "q-conflict", index=2)

    session = await stored.get(SESSION)
    assert session is not None
    assert session.turns == (
        turn(0, speaker="interviewer"),
        turn(1),
        turn(2, question_id="q-conflict"),
    )
    assert session.current_question_id == "q-conflict"


async def test_a_retried_append_does_not_duplicate_the_turn(stored: MongoSessionStore) -> None:
    assert await stored.append_turn(SESSION, turn(0), "q-dupes", index=0) is True
    assert await stored.append_turn(SESSION, turn(0), "q-dupes", index=0) is False
    assert await stored.append_turn(SESSION, turn(1), "q-dupes") is True
    assert await stored.append_turn(SESSION, turn(1), "q-dupes") is False

    session = await stored.get(SESSION)
    assert session is not None
    assert session.turns == (turn(0), turn(1))


async def test_a_turn_that_would_overwrite_or_leave_a_gap_is_refused(
    stored: MongoSessionStore,
) -> None:
    await stored.append_turn(SESSION, turn(0), "q-dupes", index=0)

    with pytest.raises(TurnOutOfOrder, match="turn 0 is already a different turn"):
        await stored.append_turn(SESSION, turn(5), "q-dupes", index=0)
    with pytest.raises(TurnOutOfOrder, match="turn 3 would leave a gap"):
        await stored.append_turn(SESSION, turn(3), "q-dupes", index=3)
    with pytest.raises(ValueError, match="index must be between 0 and 1999, got -1"):
        await stored.append_turn(SESSION, turn(3), "q-dupes", index=-1)
    with pytest.raises(SessionNotFound, match="session 'nope' not found"):
        await stored.append_turn("nope", turn(3), "q-dupes", index=0)


async def test_finishing_queues_one_session_completed_with_the_whole_transcript(
    stored: MongoSessionStore, interview: Interview, clock: ManualClock
) -> None:
    turns = [turn(0, speaker="interviewer"), turn(1), turn(2, speaker="interviewer"), turn(3)]
    for index, line in enumerate(turns):
        await stored.append_turn(SESSION, line, "q-dupes", index=index)
    ended_at = clock.advance(minutes=12)

    assert await stored.finish(SESSION, "completed", ended_at) is True

    (entry,) = outbox(stored)
    assert entry["topic"] == SESSION_COMPLETED
    assert entry["key"] == OWNER
    event = SessionCompleted.model_validate(entry["value"])
    assert event.correlation_id == "corr-123"
    transcript = event.data
    assert (transcript.session_id, transcript.interview_id, transcript.user_id) == (
        SESSION,
        interview.id,
        OWNER,
    )
    assert transcript.outcome == "completed"
    assert transcript.turns == turns
    assert transcript.interview.questions == interview.questions
    assert transcript.ended_at == ended_at
    session = await stored.get(SESSION)
    assert session is not None
    assert session.state == "completed"
    assert transcript.started_at == session.started_at


async def test_a_session_is_finished_and_announced_only_once(
    stored: MongoSessionStore, clock: ManualClock
) -> None:
    await stored.append_turn(SESSION, turn(0), "q-dupes", index=0)

    results = await asyncio.gather(
        stored.finish(SESSION, "completed", clock()),
        stored.finish(SESSION, "ended_early", clock()),
        stored.finish(SESSION, "failed", clock()),
    )

    assert sorted(results) == [False, False, True]
    assert len(outbox(stored)) == 1
    assert await stored.finish(SESSION, "failed", clock.advance(seconds=5)) is False
    assert len(outbox(stored)) == 1


async def test_a_finished_session_takes_no_more_turns_or_state_changes(
    stored: MongoSessionStore, clock: ManualClock
) -> None:
    await stored.finish(SESSION, "ended_early", clock())

    with pytest.raises(SessionAlreadyFinished, match=r"already ended \(ended_early\)"):
        await stored.append_turn(SESSION, turn(0), "q-dupes", index=0)
    assert await stored.set_state(SESSION, "active") is False
    assert await stored.heartbeat(SESSION, "worker-a", clock()) is False
    session = await stored.get(SESSION)
    assert session is not None
    assert session.state == "ended_early"


class TurnSlipsInCollection(InMemoryCollection):
    """Turns of a session where another worker appends a turn as finish() places its end mark."""

    def __init__(self, late_turn: Turn) -> None:
        super().__init__("sessions_turns")
        self.late_turn = late_turn
        self.slipped = False

    async def insert_one(self, document: dict[str, Any]) -> Any:
        if document.get("end") and not self.slipped:
            self.slipped = True
            await super().insert_one(
                {
                    "_id": document["_id"],
                    "session_id": SESSION,
                    "turn": self.late_turn.model_dump(mode="json"),
                    "current_question_id": "q-dupes",
                }
            )
        return await super().insert_one(document)


async def test_a_turn_stored_while_finishing_still_makes_it_into_the_event(
    interview: Interview, clock: ManualClock
) -> None:
    sessions = MongoSessionStore(
        InMemoryCollection("sessions"),
        turns=TurnSlipsInCollection(late_turn=turn(1)),
        changes=InMemoryCollection("sessions_changes"),
        heartbeats=InMemoryCollection("sessions_heartbeats"),
    )
    await sessions.create(record(interview, clock()))
    await sessions.append_turn(SESSION, turn(0), "q-dupes", index=0)

    assert await sessions.finish(SESSION, "completed", clock()) is True

    (entry,) = outbox(sessions)
    assert SessionCompleted.model_validate(entry["value"]).data.turns == [turn(0), turn(1)]
    with pytest.raises(SessionAlreadyFinished):
        await sessions.append_turn(SESSION, turn(2), "q-dupes", index=2)


async def test_the_outbox_relay_publishes_the_event_to_kafka_keyed_by_user(
    stored: MongoSessionStore, clock: ManualClock
) -> None:
    await stored.append_turn(SESSION, turn(0), "q-dupes", index=0)
    await stored.finish(SESSION, "completed", clock())
    publisher = FakePublisher()

    result = await OutboxRelay(list(stored.outbox_collections), publisher).run_once()

    assert result.published == 1
    (record_,) = publisher.published
    assert (record_.topic, record_.key) == (SESSION_COMPLETED, OWNER)
    assert record_.headers["mocksy-event-type"] == "SessionCompleted"
    assert SessionCompleted.model_validate(record_.value).data.turns == [turn(0)]
    assert outbox(stored) == []


async def test_only_the_owner_gets_the_session(stored: MongoSessionStore) -> None:
    mine = await stored.get_owned(SESSION, OWNER)
    assert mine is not None
    assert mine.session_id == SESSION
    assert await stored.get_owned(SESSION, STRANGER) is None


async def test_set_state_refuses_terminal_states_and_foreign_fields(
    stored: MongoSessionStore,
) -> None:
    with pytest.raises(ValueError, match="end a session with finish"):
        await stored.set_state(SESSION, "completed")
    with pytest.raises(ValueError, match="set_state cannot change turns"):
        await stored.set_state(SESSION, "active", turns=[])


async def test_heartbeats_count_only_from_the_worker_that_holds_the_session(
    stored: MongoSessionStore, clock: ManualClock
) -> None:
    later = clock.advance(seconds=10)
    assert await stored.heartbeat(SESSION, "worker-a", later) is True
    assert await stored.heartbeat(SESSION, "worker-b", later) is False

    session = await stored.get(SESSION)
    assert session is not None
    assert session.last_seen_at == later
    assert session.worker_id == "worker-a"


async def test_a_second_activation_keeps_the_original_start_time(
    stored: MongoSessionStore, clock: ManualClock
) -> None:
    first = await stored.get(SESSION)
    assert first is not None
    await stored.activate(SESSION, "worker-b", clock.advance(minutes=3))

    resumed = await stored.get(SESSION)
    assert resumed is not None
    assert resumed.started_at == first.started_at
    assert resumed.worker_id == "worker-b"
    assert resumed.state == "active"


async def test_idle_lists_sessions_by_the_clock_of_their_state(
    sessions: MongoSessionStore, interview: Interview, clock: ManualClock
) -> None:
    start = clock()
    for session_id in ("s-new", "s-old"):
        await sessions.create(record(interview, start, session_id))
    await sessions.activate("s-old", "worker-a", start)
    clock.advance(minutes=1)

    assert [s.session_id for s in await sessions.idle("created", clock())] == ["s-new"]
    assert [s.session_id for s in await sessions.idle("active", clock())] == ["s-old"]
    assert await sessions.idle("active", start - timedelta(seconds=1)) == []
    with pytest.raises(ValueError, match="state must be one of created, active, interrupted"):
        await sessions.idle("completed", clock())


def test_the_seed_is_derived_from_the_session_id_and_stable() -> None:
    assert seed_for("abc") == seed_for("abc")
    assert seed_for("abc") != seed_for("abd")
    assert 0 <= seed_for("abc") < 2**32


async def test_an_interview_copy_is_kept_once(interview: Interview) -> None:
    store = MongoInterviewStore(InMemoryCollection("interviews"))

    assert await store.save(interview) is True
    assert await store.save(interview) is False
    assert await store.get(interview.id) == interview
    assert await store.get("unknown") is None
