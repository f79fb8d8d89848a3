"""Interviews, stores and clocks shared by the sessions tests (unit and component)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.events import Interview, Question
from voice_agent.repository import MongoInterviewStore, MongoSessionStore
from voice_agent.testing import FakeRooms, ManualClock, in_memory_interviews, in_memory_sessions

OWNER = "user-ada"
STRANGER = "user-eve"


@pytest.fixture
def interview() -> Interview:
    return Interview(
        id="iv-backend-1",
        user_id=OWNER,
        created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        source="api",
        role="backend",
        interview_type="mixed",
        level="mid",
        tech_stack=["python", "postgres"],
        questions=[
            Question(
                question_id="q-dupes",
                text="How would you find duplicate values in a very large list?",
                kind="technical",
                topic="algorithms",
                key_points=["Uses a hash set", "Explains time complexity"],
                follow_ups=["What would that cost in memory?"],
            ),
            Question(
                question_id="q-conflict",
                text="Tell me about a time you disagreed with a teammate.",
                kind="behavioral",
                topic="teamwork",
                key_points=["Describes the situation", "Shares the result"],
            ),
        ],
    )


@pytest.fixture
def strangers_interview(interview: Interview) -> Interview:
    return interview.model_copy(update={"id": "iv-eve-1", "user_id": STRANGER})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))


@pytest.fixture
def sessions() -> MongoSessionStore:
    return in_memory_sessions()


@pytest.fixture
async def interviews(interview: Interview, strangers_interview: Interview) -> MongoInterviewStore:
    store = in_memory_interviews()
    await store.save(interview)
    await store.save(strangers_interview)
    return store


@pytest.fixture
def rooms() -> FakeRooms:
    return FakeRooms()
