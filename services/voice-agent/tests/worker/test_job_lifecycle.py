"""A job whose candidate never comes, whose heartbeat fails, or whose worker stops mid-session.

LiveKit's side is a hand-written fake room; the session store is the real adapter over an
in-memory collection, the sweeper and the sessions service are the real ones.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from common.events import InterviewSpec, SessionCompleted
from common.mongo import OUTBOX_FIELD
from voice_agent.domain import Conductor, TurnTakingPolicy
from voice_agent.repository import MongoSessionStore, SessionRecord
from voice_agent.service import SessionService, SessionSweeper, SweepPolicy
from voice_agent.testing import FakeRooms, ManualClock, in_memory_interviews, in_memory_sessions
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.main import InterviewJob, new_conductor
from voice_agent.worker.settings import InterviewerSettings

from .conftest import SESSION_ID

WORKER = "worker-a"
ROOM = f"mocksy-{SESSION_ID}"


class FakeRoom:
    """The job's room: it only remembers being left."""

    def __init__(self) -> None:
        self.disconnected = False

    async def disconnect(self) -> None:
        self.disconnected = True


class FakeJob:
    """LiveKit's ``JobContext`` as an interview job uses it; the candidate never arrives."""

    def __init__(self) -> None:
        self.room = FakeRoom()
        self.worker_id = WORKER
        self.connected = False

    async def connect(self, **_: Any) -> None:
        self.connected = True

    async def wait_for_participant(self, **_: Any) -> Any:
        await asyncio.Event().wait()  # nobody ever joins


class FlakyStore:
    """A session store whose heartbeats fail as scripted: an exception, or a refusal."""

    def __init__(self, store: MongoSessionStore, beats: list[bool | Exception]) -> None:
        self._store = store
        self._beats = beats
        self.heartbeats = 0
        self.five_beats = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def heartbeat(self, session_id: str, worker_id: str, at: datetime) -> bool:
        self.heartbeats += 1
        if self.heartbeats >= 5:
            self.five_beats.set()
        beat = self._beats.pop(0) if self._beats else True
        if isinstance(beat, Exception):
            raise beat
        return beat and await self._store.heartbeat(session_id, worker_id, at)


def settings(**overrides: Any) -> InterviewerSettings:
    return InterviewerSettings(
        livekit_api_key="devkey",
        livekit_api_secret="secret",
        heartbeat_interval_s=0.01,
        worker_timeout_s=30,
        **overrides,
    )


async def new_session(store: MongoSessionStore, spec: InterviewSpec, state: str) -> None:
    now = datetime.now(UTC)
    await store.create(
        SessionRecord(
            session_id=SESSION_ID,
            user_id="user-1",
            interview_id="interview-1",
            room=ROOM,
            state=state,  # type: ignore[arg-type]
            interview=spec,
            seed=7,
            created_at=now,
            state_changed_at=now,
        )
    )


def no_speech(spec: InterviewSpec) -> Any:
    raise AssertionError("no speech is needed before the candidate joins")


async def test_a_candidate_who_never_joins_ends_the_session_without_a_hang(
    spec: InterviewSpec,
) -> None:
    store = in_memory_sessions()
    await new_session(store, spec, "created")
    job = FakeJob()
    interview = InterviewJob(
        job,  # type: ignore[arg-type]
        settings(join_timeout_s=0.05),
        store,
        None,
        speech=lambda _: None,  # type: ignore[arg-type,return-value]
    )

    await asyncio.wait_for(interview.run(SESSION_ID), timeout=5)

    record = await store.get(SESSION_ID)
    assert record is not None
    assert (record.state, record.turns) == ("ended_early", ())
    assert job.room.disconnected
    (pending,) = [
        entry
        async for document in store.changes.find({"session_id": SESSION_ID})
        for entry in document.get(OUTBOX_FIELD, [])
    ]
    event = SessionCompleted.model_validate(pending["value"])
    assert (event.data.outcome, event.data.turns) == ("ended_early", [])


async def test_a_session_that_already_ended_is_left_alone(spec: InterviewSpec) -> None:
    store = in_memory_sessions()
    await new_session(store, spec, "created")
    await store.finish(SESSION_ID, "failed", datetime.now(UTC))
    job = FakeJob()

    await InterviewJob(job, settings(), store, None, speech=no_speech).run(SESSION_ID)  # type: ignore[arg-type]

    assert not job.connected


async def test_failed_heartbeats_keep_the_interview_going(spec: InterviewSpec) -> None:
    store = in_memory_sessions()
    await new_session(store, spec, "created")
    await store.activate(SESSION_ID, WORKER, datetime.now(UTC))
    flaky = FlakyStore(store, [ConnectionError("mongo down"), ConnectionError("still down")])
    job = InterviewJob(FakeJob(), settings(), flaky, None)  # type: ignore[arg-type]

    beating = asyncio.create_task(job.keep_alive(SESSION_ID))
    await asyncio.wait_for(flaky.five_beats.wait(), timeout=5)
    beating.cancel()

    assert not job.done.is_set()
    assert not job.lost
    record = await store.get(SESSION_ID)
    assert record is not None
    assert record.state == "active"


async def test_a_refused_heartbeat_stops_the_job_and_leaves_the_session_to_its_holder(
    spec: InterviewSpec,
) -> None:
    store = in_memory_sessions()
    await new_session(store, spec, "created")
    await store.activate(SESSION_ID, WORKER, datetime.now(UTC))
    await store.activate(SESSION_ID, "worker-b", datetime.now(UTC))  # another worker took it
    fake = FakeJob()
    job = InterviewJob(fake, settings(), store, None)  # type: ignore[arg-type]

    await asyncio.wait_for(job.keep_alive(SESSION_ID), timeout=5)
    await job.leave(SESSION_ID)

    assert job.lost
    assert job.done.is_set()
    record = await store.get(SESSION_ID)
    assert record is not None
    assert (record.state, record.worker_id) == ("active", "worker-b")
    assert not fake.room.disconnected


async def conduct_first_answer(store: MongoSessionStore, spec: InterviewSpec) -> Conductor:
    """The worker greets, asks, hears an answer and asks a follow-up; every turn is stored."""
    conductor = Conductor(spec, seed=7)
    journal = TranscriptJournal(
        store, SESSION_ID, lambda: conductor.turns, current_question=lambda: conductor.question_id
    )
    conductor.start(0)
    conductor.on_candidate_turn("I would put every value in a hash set.", 6_000, 9_000)
    for index in range(len(conductor.turns)):
        journal.ready(index)
    assert await journal.drain()
    return conductor


async def test_a_worker_stopped_mid_session_leaves_it_interrupted_and_resumable(
    spec: InterviewSpec,
) -> None:
    store = in_memory_sessions()
    await new_session(store, spec, "created")
    await store.activate(SESSION_ID, WORKER, datetime.now(UTC))
    before = await conduct_first_answer(store, spec)
    fake = FakeJob()
    job = InterviewJob(fake, settings(), store, None)  # type: ignore[arg-type]

    # The worker is told to stop (drain timeout, deploy): the conversation ends without a closing.
    await job.leave(SESSION_ID)

    record = await store.get(SESSION_ID)
    assert record is not None
    assert record.state == "interrupted"
    assert [t.kind for t in record.turns] == ["greeting", "question", "answer", "follow_up"]
    assert fake.room.disconnected
    await assert_resumable(store, record, before)


async def test_a_crashed_worker_is_noticed_and_its_session_is_resumable(
    spec: InterviewSpec,
) -> None:
    store = in_memory_sessions()
    clock = ManualClock(datetime.now(UTC))
    await new_session(store, spec, "created")
    await store.activate(SESSION_ID, WORKER, clock.now)
    before = await conduct_first_answer(store, spec)
    sweeper = SessionSweeper(store, FakeRooms(), SweepPolicy(), clock=clock)

    # No heartbeat comes any more: the worker process died without a word.
    clock.advance(seconds=31)
    report = await sweeper.sweep_once()

    assert report.interrupted == (SESSION_ID,)
    record = await store.get(SESSION_ID)
    assert record is not None
    assert record.state == "interrupted"
    assert len(record.turns) == len(before.turns)
    await assert_resumable(store, record, before)


async def assert_resumable(
    store: MongoSessionStore, record: SessionRecord, before: Conductor
) -> None:
    """The candidate resumes: a new token, the interviewer dispatched, the same question."""
    rooms = FakeRooms()
    interviews = in_memory_interviews()
    service = SessionService(store, interviews, rooms, livekit_url="ws://livekit")
    user = _User(record.user_id)

    grant = await service.resume(user, SESSION_ID)  # type: ignore[arg-type]

    assert grant.room == ROOM
    assert grant.token
    assert [d.session_id for d in rooms.dispatches] == [SESSION_ID]
    again = new_conductor(record, TurnTakingPolicy())
    assert again.question_id == before.question_id
    assert [t.text for t in again.turns] == [t.text for t in before.turns]
    _welcome, repeated = again.rejoin(60_000)
    assert repeated.text == before.turns[-1].text  # the pending follow-up, asked again


class _User:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.name = None
