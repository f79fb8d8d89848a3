"""Builders of realistic events for tests and benchmarks of the history service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from common.events import (
    CATEGORIES,
    Category,
    CategoryScore,
    Feedback,
    FeedbackReady,
    Interview,
    InterviewCreated,
    InterviewSpec,
    InterviewType,
    Question,
    QuestionResult,
    Role,
    ScorerInfo,
    SessionCompleted,
    SpeechMetrics,
    Transcript,
    Turn,
)

EPOCH = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

DEFAULT_TOPICS = ("react hooks", "state management", "testing")


def questions(topics: Sequence[str] = DEFAULT_TOPICS) -> list[Question]:
    """One technical question per topic, ids q1, q2, ..."""
    return [
        Question(
            question_id=f"q{i}",
            text=f"Tell me about {topic}.",
            kind="technical",
            topic=topic,
            key_points=[f"{topic} basics", f"{topic} trade-offs"],
        )
        for i, topic in enumerate(topics, start=1)
    ]


@dataclass(frozen=True)
class Attempt:
    """One synthetic attempt: when, what was asked, and how it went."""

    session_id: str
    interview_id: str
    at: datetime
    overall: int | None
    categories: Mapping[Category, int] = field(default_factory=dict)
    topic_scores: Sequence[int] = ()
    topics: Sequence[str] = DEFAULT_TOPICS
    fillers_per_100: float = 3.0
    role: Role = "frontend"
    interview_type: InterviewType = "technical"


def interview_created(
    user_id: str,
    interview_id: str,
    *,
    at: datetime = EPOCH,
    role: Role = "frontend",
    interview_type: InterviewType = "technical",
    topics: Sequence[str] = DEFAULT_TOPICS,
    parent_interview_id: str | None = None,
) -> InterviewCreated:
    """``InterviewCreated`` for a mid-level interview on the given topics."""
    return InterviewCreated(
        data=Interview(
            id=interview_id,
            user_id=user_id,
            role=role,
            interview_type=interview_type,
            level="mid",
            tech_stack=["react", "ts"],
            questions=questions(topics),
            created_at=at,
            source="retake" if parent_interview_id else "setup_chat",
            parent_interview_id=parent_interview_id,
        )
    )


def session_completed(user_id: str, attempt: Attempt) -> SessionCompleted:
    """``SessionCompleted`` of an attempt, with one answer per question."""
    asked = questions(attempt.topics)
    turns: list[Turn] = []
    clock = 0
    for question in asked:
        turns.append(
            Turn(
                speaker="interviewer",
                text=question.text,
                start_ms=clock,
                end_ms=clock + 3_000,
                question_id=question.question_id,
                kind="question",
            )
        )
        turns.append(
            Turn(
                speaker="candidate",
                text=f"My answer about {question.topic}, with an example.",
                start_ms=clock + 4_000,
                end_ms=clock + 30_000,
                question_id=question.question_id,
                kind="answer",
            )
        )
        clock += 40_000
    return SessionCompleted(
        data=Transcript(
            session_id=attempt.session_id,
            interview_id=attempt.interview_id,
            user_id=user_id,
            started_at=attempt.at - timedelta(minutes=20),
            ended_at=attempt.at,
            outcome="completed",
            interview=InterviewSpec(
                role=attempt.role,
                interview_type=attempt.interview_type,
                level="mid",
                tech_stack=["react", "typescript"],
                questions=asked,
            ),
            turns=turns,
        )
    )


def feedback_ready(
    user_id: str, attempt: Attempt, *, created_at: datetime | None = None, feedback_id: str = ""
) -> FeedbackReady:
    """``FeedbackReady`` of an attempt; ungradable when its overall score is None."""
    created = created_at or attempt.at + timedelta(minutes=1)
    scorer = ScorerInfo(engine="offline-rubric", version="test")
    ident = feedback_id or f"f-{attempt.session_id}"
    if attempt.overall is None:
        feedback = Feedback(
            feedback_id=ident,
            session_id=attempt.session_id,
            interview_id=attempt.interview_id,
            user_id=user_id,
            created_at=created,
            gradable=False,
            warnings=["too few candidate words to grade"],
            scorer=scorer,
        )
        return FeedbackReady(data=feedback)
    scores = {c: attempt.categories.get(c, attempt.overall) for c in CATEGORIES}
    topic_scores = list(attempt.topic_scores) or [attempt.overall] * len(attempt.topics)
    feedback = Feedback(
        feedback_id=ident,
        session_id=attempt.session_id,
        interview_id=attempt.interview_id,
        user_id=user_id,
        created_at=created,
        gradable=True,
        overall_score=attempt.overall,
        categories={
            c: CategoryScore(
                score=s, rationale=f"{c} scored {s}.", evidence=["I used a “custom hook”."]
            )
            for c, s in scores.items()
        },
        strengths=["Clear structure"],
        improvements=["Name trade-offs"],
        final_assessment="Solid answers with room to go deeper.",
        questions=[
            QuestionResult(
                question_id=f"q{i}",
                score=score,
                covered_points=[f"{topic} basics"],
                missed_points=[f"{topic} trade-offs"],
                summary=f"Answer on {topic}.",
            )
            for i, (topic, score) in enumerate(
                zip(attempt.topics, topic_scores, strict=True), start=1
            )
        ],
        speech=SpeechMetrics(
            words_per_minute=140,
            filler_words_per_100=attempt.fillers_per_100,
            hedges_per_100=1.0,
            mean_answer_words=60,
            mean_response_delay_ms=900,
            candidate_talk_ratio=0.6,
        ),
        scorer=scorer,
    )
    return FeedbackReady(data=feedback)
