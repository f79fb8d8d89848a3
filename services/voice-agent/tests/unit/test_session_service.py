"""Starting, viewing and resuming sessions, and the sweeper that ends abandoned ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.auth import AuthenticatedUser
from common.events import Interview, SessionCompleted, Turn
from common.testing.mongo import InMemoryCollection
from voice_agent.livekit_rooms import RoomsUnavailable
from voice_agent.metrics import VoiceAgentMetrics
from voice_agent.repository import MongoInterviewStore, MongoSessionStore, SessionNotFound
from voice_agent.service import (
    InterviewNotFound,
    SessionEnded,
    SessionGrant,
    SessionService,
    SessionSweeper,
    SweepPolicy,
)
from voice_agent.testing import Dispatch, FakeRooms, ManualClock

PUBLIC_URL = "wss://voice.mocksy.test"
POLICY = SweepPolicy(
    grace_period=timedelta(seconds=120),
    worker_timeout=timedelta(seconds=30),
    start_timeout=timedelta(minutes=20),
)


def user(user_id: str) -> AuthenticatedUser:
    return AuthenticatedUser(
        user_id=user_id, name="Ada Lovelace", expires_at=datetime(2030, 1, 1, tzinfo=UTC)
    )


ADA = user("user-ada")
EVE = user("user-eve")


def answer(n: int) -> Turn:
    return Turn(
        speaker="candidate",
        text=f"answer {n}",
        start_ms=n * 5_000,
        end_ms=n * 5_000 + 4_000,
        question_id="q-dupes",
        kind="answer",
        stt_confidence=0.9,
    )


def sample(metrics: VoiceAgentMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(f"mocksy_voice_agent_{name}", labels)


@pytest.fixture
def metrics() -> VoiceAgentMetrics:
    return VoiceAgentMetrics()


@pytest.fixture
def service(
    sessions: MongoSessionStore,
    interviews: MongoInterviewStore,
    rooms: FakeRooms,
    clock: ManualClock,
    metrics: VoiceAgentMetrics,
) -> SessionService:
    ids = iter(f"sess-{n}" for n in range(1, 100))
    return SessionService(
        sessions,
        interviews,
        rooms,
        livekit_url=PUBLIC_URL,
        metrics=metrics,
        clock=clock,
        new_session_id=lambda: next(ids),
    )


@pytest.fixture
def sweeper(
    sessions: MongoSessionStore, rooms: FakeRooms, clock: ManualClock, metrics: VoiceAgentMetrics
) -> SessionSweeper:
    return SessionSweeper(sessions, rooms, POLICY, metrics=metrics, clock=clock)


@pytest.fixture
async def taken(
    service: SessionService, sessions: MongoSessionStore, interview: Interview, clock: ManualClock
) -> str:
    """A session Ada started that worker-a has taken: its id."""
    grant = await service.start(ADA, interview.id)
    await sessions.activate(grant.session_id, "worker-a", clock())
    return grant.session_id


@pytest.fixture
async def waiting(service: SessionService, rooms: FakeRooms, interview: Interview) -> SessionGrant:
    """A session Ada started whose dispatch LiveKit dropped: she is alone in its room."""
    grant = await service.start(ADA, interview.id)
    rooms.candidates_in.add(grant.room)
    return grant


def completed_events(sessions: MongoSessionStore) -> list[SessionCompleted]:
    events = []
    for collection in sessions.outbox_collections:
        assert isinstance(collection, InMemoryCollection)
        events += [
            SessionCompleted.model_validate(entry["value"])
            for document in collection.documents
            for entry in document.get("outbox", [])
        ]
    return events


async def test_starting_a_session_opens_a_room_with_the_interviewer_and_a_token(
    service: SessionService,
    sessions: MongoSessionStore,
    rooms: FakeRooms,
    interview: Interview,
    clock: ManualClock,
    metrics: VoiceAgentMetrics,
) -> None:
    grant = await service.start(ADA, interview.id)

    assert grant.session_id == "sess-1"
    assert grant.room == "mocksy-sess-1"
    assert grant.livekit_url == PUBLIC_URL
    assert grant.token_expires_at == clock() + timedelta(minutes=15)
    assert rooms.dispatches == [Dispatch("mocksy-sess-1", "sess-1")]
    assert rooms.tokens == [("mocksy-sess-1", "user-ada")]
    stored = await sessions.get("sess-1")
    assert stored is not None
    assert stored.state == "created"
    assert stored.user_id == "user-ada"
    assert stored.interview.questions == interview.questions
    assert stored.turns == ()
    assert sample(metrics, "sessions_started_total") == 1


async def test_each_session_gets_its_own_room(
    service: SessionService, interview: Interview
) -> None:
    first = await service.start(ADA, interview.id)
    second = await service.start(ADA, interview.id)

    assert first.room != second.room
    assert first.session_id != second.session_id


async def test_someone_elses_interview_looks_exactly_like_a_missing_one(
    service: SessionService, strangers_interview: Interview, rooms: FakeRooms
) -> None:
    with pytest.raises(InterviewNotFound) as theirs:
        await service.start(ADA, strangers_interview.id)
    with pytest.raises(InterviewNotFound) as missing:
        await service.start(ADA, "iv-never-made")

    assert str(theirs.value).replace(strangers_interview.id, "?") == str(missing.value).replace(
        "iv-never-made", "?"
    )
    assert "retry in a few seconds" in str(missing.value)
    assert rooms.dispatches == []


async def test_when_livekit_is_down_no_session_is_left_behind(
    service: SessionService,
    sessions: MongoSessionStore,
    rooms: FakeRooms,
    interview: Interview,
    sweeper: SessionSweeper,
    clock: ManualClock,
) -> None:
    rooms.reachable = False

    with pytest.raises(RoomsUnavailable):
        await service.start(ADA, interview.id)

    assert await sessions.get("sess-1") is None
    clock.advance(hours=1)
    await sweeper.sweep_once()
    assert completed_events(sessions) == []


async def test_only_the_owner_can_see_a_session(
    service: SessionService, sessions: MongoSessionStore, interview: Interview
) -> None:
    grant = await service.start(ADA, interview.id)
    await sessions.append_turn(grant.session_id, answer(0), "q-dupes", index=0)

    mine = await service.view(ADA, grant.session_id)
    assert mine.turns == (answer(0),)
    assert mine.current_question_id == "q-dupes"
    with pytest.raises(SessionNotFound):
        await service.view(EVE, grant.session_id)
    with pytest.raises(SessionNotFound):
        await service.resume(EVE, grant.session_id)


async def test_resuming_dispatches_the_interviewer_again_only_when_none_is_in_the_room(
    service: SessionService, rooms: FakeRooms, interview: Interview
) -> None:
    grant = await service.start(ADA, interview.id)

    rooms.agents_in.add(grant.room)
    await service.resume(ADA, grant.session_id)
    assert len(rooms.dispatches) == 1

    rooms.agents_in.clear()  # the worker died and left the room
    again = await service.resume(ADA, grant.session_id)
    assert rooms.dispatches == [Dispatch(grant.room, grant.session_id)] * 2
    assert again.room == grant.room
    assert again.token != grant.token


async def test_resuming_an_interrupted_session_replaces_a_dead_workers_lingering_interviewer(
    service: SessionService,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    rooms: FakeRooms,
    interview: Interview,
    clock: ManualClock,
) -> None:
    grant = await service.start(ADA, interview.id)
    await sessions.activate(grant.session_id, "worker-a", clock())
    rooms.agents_in.add(grant.room)  # killed, yet still listed in the room
    clock.advance(seconds=31)
    assert (await sweeper.sweep_once()).interrupted == (grant.session_id,)

    await service.resume(ADA, grant.session_id)

    assert rooms.removed_agents == [grant.room]
    assert rooms.dispatches == [Dispatch(grant.room, grant.session_id)] * 2


async def test_a_finished_session_cannot_be_resumed(
    service: SessionService, sessions: MongoSessionStore, interview: Interview, clock: ManualClock
) -> None:
    grant = await service.start(ADA, interview.id)
    await sessions.finish(grant.session_id, "completed", clock())

    with pytest.raises(SessionEnded, match=r"already ended \(completed\); start a new session"):
        await service.resume(ADA, grant.session_id)


async def test_a_dead_worker_leaves_the_session_interrupted_with_its_transcript(
    taken: str,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    clock: ManualClock,
    metrics: VoiceAgentMetrics,
) -> None:
    for n in range(3):
        await sessions.append_turn(taken, answer(n), "q-dupes", index=n)

    clock.advance(seconds=29)
    assert (await sweeper.sweep_once()).interrupted == ()
    clock.advance(seconds=2)
    report = await sweeper.sweep_once()

    assert report.interrupted == (taken,)
    session = await sessions.get(taken)
    assert session is not None
    assert session.state == "interrupted"
    assert session.turns == tuple(answer(n) for n in range(3))
    assert sample(metrics, "workers_lost_total") == 1
    assert sample(metrics, "active_sessions", state="interrupted") == 1


async def test_a_worker_that_was_only_slow_gets_its_session_back(
    taken: str,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    clock: ManualClock,
) -> None:
    clock.advance(seconds=45)
    assert (await sweeper.sweep_once()).interrupted == (taken,)

    assert await sessions.heartbeat(taken, "worker-a", clock.advance(seconds=1))
    clock.advance(seconds=121)  # past the grace period, but the worker kept going
    await sessions.heartbeat(taken, "worker-a", clock())
    report = await sweeper.sweep_once()

    assert report.ended_early == ()
    session = await sessions.get(taken)
    assert session is not None
    assert session.state == "active"


async def test_heartbeats_while_the_candidate_is_away_do_not_end_the_wait(
    taken: str,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    clock: ManualClock,
) -> None:
    await sessions.set_state(taken, "interrupted", at=clock())  # candidate left
    for _ in range(25):
        await sessions.heartbeat(taken, "worker-a", clock.advance(seconds=5))

    assert (await sweeper.sweep_once()).ended_early == (taken,)


async def test_a_heartbeating_worker_keeps_its_session_active(
    taken: str,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    clock: ManualClock,
) -> None:
    for _ in range(10):
        await sessions.heartbeat(taken, "worker-a", clock.advance(seconds=5))
        await sweeper.sweep_once()

    session = await sessions.get(taken)
    assert session is not None
    assert session.state == "active"


async def test_a_candidate_who_does_not_return_within_the_grace_period_ends_early(
    service: SessionService,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    rooms: FakeRooms,
    interview: Interview,
    clock: ManualClock,
) -> None:
    grant = await service.start(ADA, interview.id)
    await sessions.activate(grant.session_id, "worker-a", clock())
    await sessions.append_turn(grant.session_id, answer(0), "q-dupes", index=0)
    await sessions.set_state(grant.session_id, "interrupted", at=clock.advance(seconds=10))

    clock.advance(seconds=119)
    assert (await sweeper.sweep_once()).ended_early == ()
    clock.advance(seconds=2)
    report = await sweeper.sweep_once()

    assert report.ended_early == (grant.session_id,)
    (event,) = completed_events(sessions)
    assert event.data.outcome == "ended_early"
    assert event.data.turns == [answer(0)]
    assert rooms.closed == [grant.room]
    with pytest.raises(SessionEnded):
        await service.resume(ADA, grant.session_id)


async def test_resuming_gives_the_candidate_a_fresh_grace_period(
    taken: str,
    service: SessionService,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    clock: ManualClock,
) -> None:
    await sessions.set_state(taken, "interrupted", at=clock())

    clock.advance(seconds=100)
    await service.resume(ADA, taken)
    clock.advance(seconds=100)  # 200 s after the drop, 100 s after resuming
    assert (await sweeper.sweep_once()).ended_early == ()
    clock.advance(seconds=21)
    assert (await sweeper.sweep_once()).ended_early == (taken,)


async def test_a_session_no_worker_ever_took_fails(
    service: SessionService,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    interview: Interview,
    clock: ManualClock,
    metrics: VoiceAgentMetrics,
) -> None:
    grant = await service.start(ADA, interview.id)

    clock.advance(minutes=19)
    assert (await sweeper.sweep_once()).failed == ()
    clock.advance(minutes=2)
    assert (await sweeper.sweep_once()).failed == (grant.session_id,)

    (event,) = completed_events(sessions)
    assert event.data.outcome == "failed"
    assert event.data.turns == []
    assert sample(metrics, "sessions_ended_total", outcome="failed") == 1


async def test_a_candidate_left_waiting_without_an_interviewer_gets_it_dispatched_again(
    waiting: SessionGrant,
    sweeper: SessionSweeper,
    rooms: FakeRooms,
    clock: ManualClock,
    metrics: VoiceAgentMetrics,
) -> None:
    grant = waiting
    once = [Dispatch(grant.room, grant.session_id)]

    clock.advance(seconds=14)
    assert (await sweeper.sweep_once()).redispatched == ()
    clock.advance(seconds=2)
    assert (await sweeper.sweep_once()).redispatched == (grant.session_id,)
    assert rooms.dispatches == once * 2
    assert sample(metrics, "interviewers_redispatched_total") == 1
    # Given time to arrive before the next try...
    clock.advance(seconds=5)
    assert (await sweeper.sweep_once()).redispatched == ()
    clock.advance(seconds=11)
    assert (await sweeper.sweep_once()).redispatched == (grant.session_id,)
    assert rooms.dispatches == once * 3
    # ...and none once it is there.
    rooms.agents_in.add(grant.room)
    clock.advance(seconds=16)
    assert (await sweeper.sweep_once()).redispatched == ()
    assert rooms.dispatches == once * 3


async def test_an_interviewer_still_starting_up_is_not_dispatched_twice(
    waiting: SessionGrant, sweeper: SessionSweeper, rooms: FakeRooms, clock: ManualClock
) -> None:
    rooms.jobs_starting.add(waiting.room)  # a worker took the job; its process is slow to join

    clock.advance(seconds=60)
    assert (await sweeper.sweep_once()).redispatched == ()
    assert len(rooms.dispatches) == 1


async def test_a_resume_no_worker_took_is_dispatched_again_while_the_candidate_waits(
    taken: str,
    service: SessionService,
    sessions: MongoSessionStore,
    sweeper: SessionSweeper,
    rooms: FakeRooms,
    clock: ManualClock,
) -> None:
    await sessions.set_state(taken, "interrupted", at=clock())
    clock.advance(seconds=60)
    grant = await service.resume(ADA, taken)
    dispatched = len(rooms.dispatches)

    # Interrupted sessions whose candidate is away are left to their grace period.
    clock.advance(seconds=16)
    assert (await sweeper.sweep_once()).redispatched == ()
    rooms.candidates_in.add(grant.room)
    report = await sweeper.sweep_once()
    assert report.redispatched == (taken,)
    assert report.ended_early == ()
    assert rooms.dispatches[dispatched:] == [Dispatch(grant.room, taken)]


async def test_livekit_down_while_checking_on_a_waiting_candidate_is_tried_again_later(
    waiting: SessionGrant, sweeper: SessionSweeper, rooms: FakeRooms, clock: ManualClock
) -> None:
    clock.advance(seconds=16)
    rooms.reachable = False

    assert (await sweeper.sweep_once()).redispatched == ()

    rooms.reachable = True
    clock.advance(seconds=5)
    assert (await sweeper.sweep_once()).redispatched == (waiting.session_id,)


async def test_two_sweepers_at_once_announce_an_ended_session_once(
    taken: str,
    sessions: MongoSessionStore,
    rooms: FakeRooms,
    clock: ManualClock,
) -> None:
    await sessions.set_state(taken, "interrupted", at=clock())
    clock.advance(minutes=5)
    replicas = [SessionSweeper(sessions, rooms, POLICY, clock=clock) for _ in range(2)]

    reports = [await replica.sweep_once() for replica in replicas]

    assert [r.ended_early for r in reports] == [(taken,), ()]
    assert len(completed_events(sessions)) == 1


def test_the_sweep_policy_refuses_non_positive_limits() -> None:
    with pytest.raises(ValueError, match="grace_period must be positive"):
        SweepPolicy(grace_period=timedelta(0))
    with pytest.raises(ValueError, match="redispatch_after must be positive"):
        SweepPolicy(redispatch_after=timedelta(seconds=-1))
