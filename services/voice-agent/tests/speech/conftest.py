"""The interview, voice and recognizer the speech tests share (loaded once: they take a second)."""

from __future__ import annotations

import pytest

from common.events import InterviewSpec, Question
from voice_agent.speech import LanguageModel, PiperTTS, SphinxSTT, build_language_model


@pytest.fixture(scope="session")
def interview() -> InterviewSpec:
    return InterviewSpec(
        role="backend",
        interview_type="technical",
        level="mid",
        tech_stack=["python", "postgresql", "redis", "kubernetes"],
        questions=[
            Question(
                question_id="q-dupes",
                text="How would you find duplicate values in a very large list?",
                kind="technical",
                topic="algorithms",
                key_points=[
                    "Uses a hash set for constant-time lookups",
                    "Explains time complexity",
                    "Mentions memory trade-offs",
                ],
                follow_ups=["What is the time complexity of your approach?"],
            ),
            Question(
                question_id="q-cache",
                text="When would you put a cache in front of a database?",
                kind="technical",
                topic="system design",
                key_points=["Reduces latency for repeated reads", "Handles cache invalidation"],
                follow_ups=["How would you keep the cache from serving stale data?"],
            ),
        ],
    )


@pytest.fixture(scope="session")
def language_model(interview: InterviewSpec) -> LanguageModel:
    return build_language_model(interview)


@pytest.fixture(scope="session")
def recognizer(language_model: LanguageModel) -> SphinxSTT:
    recognizer = SphinxSTT(language_model)
    recognizer.prewarm()
    return recognizer


@pytest.fixture(scope="session")
def piper() -> PiperTTS:
    return PiperTTS()
