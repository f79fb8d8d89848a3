"""A stored session and the interviewer conducting it in a text-only ``AgentSession``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from livekit.agents import AgentSession

from common.events import InterviewSpec, Outcome, Question
from voice_agent.domain import Conductor
from voice_agent.repository import MongoSessionStore, SessionRecord
from voice_agent.testing import in_memory_sessions
from voice_agent.worker.interviewer import ConductorModel, Interviewer, SessionClock
from voice_agent.worker.journal import TranscriptJournal

SESSION_ID = "s" * 32


@pytest.fixture
def spec() -> InterviewSpec:
    return InterviewSpec(
        role="backend",
        interview_type="mixed",
        level="mid",
        tech_stack=["python", "postgresql"],
        questions=[
            Question(
                question_id="q-dupes",
                text="How would you find duplicate values in a very large list?",
                kind="technical",
                topic="algorithms",
                key_points=["Uses a hash set", "Explains time complexity"],
                follow_ups=["What is the time complexity of your approach?"],
            ),
            Question(
                question_id="q-conflict",
                text="Tell me about a time you disagreed with a teammate.",
                kind="behavioral",
                topic="teamwork",
                key_points=[],
                follow_ups=[],
            ),
        ],
    )


class FakeTime:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.seconds = 1_800_000_000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class Interview:
    """The pieces a worker test looks at."""

    store: MongoSessionStore
    conductor: Conductor
    journal: TranscriptJournal
    interviewer: Interviewer
    session: AgentSession[None]
    time: FakeTime
    outcomes: list[Outcome] = field(default_factory=list)

    async def stored_turns(self) -> list[tuple[str, str, str]]:
        await self.journal.drain()
        record = await self.store.get(SESSION_ID)
        assert record is not None
        return [(t.speaker, t.kind, t.text) for t in record.turns]


async def stored_session(store: MongoSessionStore, spec: InterviewSpec) -> None:
    now = datetime.now(UTC)
    await store.create(
        SessionRecord(
            session_id=SESSION_ID,
            user_id="user-1",
            interview_id="interview-1",
            room=f"mocksy-{SESSION_ID}",
            state="active",
            interview=spec,
            seed=7,
            created_at=now,
            state_changed_at=now,
            started_at=now,
        )
    )


StartInterview = Callable[..., Awaitable[Interview]]


@pytest.fixture
async def start_interview(spec: InterviewSpec) -> AsyncIterator[StartInterview]:
    sessions: list[AgentSession[None]] = []

    async def start(conductor: Conductor | None = None, *, resumed: bool = False) -> Interview:
        store = in_memory_sessions()
        await stored_session(store, spec)
        conductor = conductor or Conductor(spec, seed=7)
        journal = TranscriptJournal(
            store,
            SESSION_ID,
            lambda: conductor.turns,
            stored=len(conductor.turns),
            current_question=lambda: conductor.question_id,
        )
        time = FakeTime()
        outcomes: list[Outcome] = []

        async def finished(outcome: Outcome) -> None:
            outcomes.append(outcome)
            await store.finish(SESSION_ID, outcome, datetime.now(UTC))

        interviewer = Interviewer(
            conductor,
            journal,
            SessionClock(time.seconds, now=time),
            resumed=resumed,
            on_finished=finished,
            silence_check_interval_s=3600,  # the tests ask about silence themselves
        )
        session: AgentSession[None] = AgentSession(llm=ConductorModel())
        sessions.append(session)
        await session.start(interviewer)
        return Interview(store, conductor, journal, interviewer, session, time, outcomes)

    yield start
    for session in sessions:
        await session.aclose()
