"""Hand-written transcript builders shared by the scoring tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.events import InterviewSpec, Question, Transcript, Turn

CALIBRATION_DIR = Path(__file__).parent / "calibration"
FIXTURES_DIR = Path(__file__).parent / "fixtures"

INDEX_QUESTION = Question(
    question_id="q-index",
    text="How does a database index speed up queries, and when would you not add one?",
    kind="technical",
    topic="database indexing",
    key_points=[
        "an index avoids a full table scan",
        "B-tree structure gives logarithmic lookups",
        "indexes slow down writes and take extra storage",
    ],
)
CONFLICT_QUESTION = Question(
    question_id="q-conflict",
    text="Tell me about a time you disagreed with a teammate.",
    kind="behavioral",
    topic="conflict resolution",
    key_points=["listens to the other person's view", "reaches an agreement or compromise"],
)
CACHE_QUESTION = Question(
    question_id="q-cache",
    text="How would you add caching to a slow endpoint?",
    kind="technical",
    topic="caching",
    key_points=["measure latency first", "an invalidation strategy such as a TTL"],
)


@dataclass
class TranscriptBuilder:
    """Builds a transcript turn by turn with a running clock (milliseconds)."""

    questions: list[Question]
    interview_type: str = "mixed"
    outcome: str = "completed"
    session_id: str = "sess-1"
    turns: list[Turn] = field(default_factory=list)
    clock: int = 0

    def say(
        self,
        speaker: str,
        text: str,
        *,
        kind: str,
        question_id: str | None = None,
        gap_ms: int = 1_000,
        duration_ms: int | None = None,
        **extra: Any,
    ) -> TranscriptBuilder:
        """Append a turn starting ``gap_ms`` after the previous one ended."""
        start = self.clock + gap_ms
        duration = duration_ms if duration_ms is not None else max(500, len(text.split()) * 400)
        self.turns.append(
            Turn(
                speaker=speaker,  # type: ignore[arg-type]
                text=text,
                start_ms=start,
                end_ms=start + duration,
                question_id=question_id,
                kind=kind,  # type: ignore[arg-type]
                **extra,
            )
        )
        self.clock = start + duration
        return self

    def ask(self, question: Question, **kw: Any) -> TranscriptBuilder:
        """The interviewer asks a question."""
        return self.say(
            "interviewer", question.text, kind="question", question_id=question.question_id, **kw
        )

    def answer(self, question: Question, text: str, **kw: Any) -> TranscriptBuilder:
        """The candidate answers a question."""
        return self.say("candidate", text, kind="answer", question_id=question.question_id, **kw)

    def build(self) -> Transcript:
        """The transcript."""
        start = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
        return Transcript(
            session_id=self.session_id,
            interview_id="int-1",
            user_id="user-1",
            started_at=start,
            ended_at=start + timedelta(milliseconds=self.clock + 1_000),
            outcome=self.outcome,  # type: ignore[arg-type]
            interview=InterviewSpec(
                role="backend",
                interview_type=self.interview_type,  # type: ignore[arg-type]
                level="mid",
                questions=self.questions,
            ),
            turns=self.turns,
        )


STRONG_INDEX_ANSWER = (
    "Without an index the database has to scan the whole table, reading every row. "
    "A B-tree index keeps keys sorted, so a lookup is logarithmic instead of linear. "
    "The downside is that every insert and update must maintain the index, so writes get "
    "slower, and it takes extra disk space. I'd skip it on tiny tables."
)
STRONG_CONFLICT_ANSWER = (
    "At my last job a teammate wanted to move our queue to Kafka and I thought it was "
    "overkill. I was responsible for the job runner, so I asked him why he wanted it; his "
    "concern was losing jobs when a worker crashed. I built a small prototype and we ran a "
    "crash test together. In the end we agreed on a compromise: keep Postgres and add a dead "
    "letter table. I learned to ask about the concern behind a proposal first."
)
STRONG_CACHE_ANSWER = (
    "First I'd measure the latency with tracing to find the bottleneck. Then I'd put Redis in "
    "front of the database with a TTL of a few minutes, and evict the key on every write so "
    "users don't see stale data. The trade-off is freshness against speed."
)


@dataclass(frozen=True)
class InterviewKit:
    """The questions and answers the tests share, and a way to start a transcript."""

    index: Question = INDEX_QUESTION
    conflict: Question = CONFLICT_QUESTION
    cache: Question = CACHE_QUESTION
    strong_index: str = STRONG_INDEX_ANSWER
    strong_conflict: str = STRONG_CONFLICT_ANSWER
    strong_cache: str = STRONG_CACHE_ANSWER

    def interview(self, **kw: Any) -> TranscriptBuilder:
        """A new three-question mixed interview (conflict, index, cache) with no turns yet."""
        kw.setdefault("questions", [self.conflict, self.index, self.cache])
        return TranscriptBuilder(**kw)

    def answered(self, **kw: Any) -> TranscriptBuilder:
        """Greeting, the three questions answered well, closing."""
        builder = self.interview(**kw)
        builder.say("interviewer", "Hi, welcome to the interview.", kind="greeting", gap_ms=0)
        for question, text in (
            (self.conflict, self.strong_conflict),
            (self.index, self.strong_index),
            (self.cache, self.strong_cache),
        ):
            builder.ask(question).answer(question, text, gap_ms=1_500)
        builder.say("interviewer", "Thanks, that's all.", kind="closing")
        return builder


@pytest.fixture
def kit() -> InterviewKit:
    """Shared questions, answers and transcript builders."""
    return InterviewKit()
