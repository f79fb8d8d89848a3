"""Interviews the conductor tests run."""

from __future__ import annotations

import pytest

from common.events import InterviewSpec, Question


@pytest.fixture
def duplicates_question() -> Question:
    return Question(
        question_id="q-dupes",
        text="How would you find duplicate values in a very large list?",
        kind="technical",
        topic="algorithms",
        key_points=[
            "Uses a hash set for constant-time lookups",
            "Explains time complexity",
            "Mentions memory trade-offs",
        ],
        follow_ups=[
            "What would that cost in memory, and is there a trade-off?",
            "What is the time complexity of your approach?",
        ],
    )


@pytest.fixture
def conflict_question() -> Question:
    return Question(
        question_id="q-conflict",
        text="Tell me about a time you disagreed with a teammate.",
        kind="behavioral",
        topic="teamwork",
        key_points=[
            "Describes the situation",
            "Explains how they communicated",
            "Shares the result",
        ],
        follow_ups=[],
    )


@pytest.fixture
def caching_question() -> Question:
    return Question(
        question_id="q-cache",
        text="When would you put a cache in front of a database?",
        kind="technical",
        topic="system design",
        key_points=["Reduces latency for repeated reads", "Handles cache invalidation"],
        follow_ups=["How would you keep the cache from serving stale data?"],
    )


@pytest.fixture
def spec(
    duplicates_question: Question, conflict_question: Question, caching_question: Question
) -> InterviewSpec:
    return InterviewSpec(
        role="backend",
        interview_type="mixed",
        level="mid",
        tech_stack=["python", "postgres"],
        questions=[duplicates_question, conflict_question, caching_question],
    )


@pytest.fixture
def open_question() -> Question:
    return Question(
        question_id="q-open",
        text="What are you most proud of in your last project?",
        kind="behavioral",
        topic="motivation",
        key_points=[],
        follow_ups=["What made that hard?"],
    )
