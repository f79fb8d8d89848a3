"""The history read models, and the fields each event contributes to them.

Every event writes only its own fields (``$set``), keyed by natural ids, so the documents end up
the same whatever order the events arrive in and however often each one is delivered.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events import (
    Category,
    Feedback,
    Interview,
    InterviewType,
    Level,
    Outcome,
    QuestionKind,
    Role,
    Source,
    SpeechMetrics,
    Transcript,
)

# A candidate's answer is kept for side-by-side comparison, not as a second transcript store.
MAX_ANSWER_CHARS = 2_000

AttemptStatus = Literal["awaiting_feedback", "graded", "ungradable"]


class Record(BaseModel):
    """Base of the stored read models: immutable, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class InterviewRecord(Record):
    """An interview's metadata, from ``InterviewCreated`` or, until it arrives, a session."""

    interview_id: str
    user_id: str
    role: Role
    interview_type: InterviewType
    level: Level
    tech_stack: list[str] = Field(default_factory=list)
    created_at: datetime
    source: Source | None = None
    parent_interview_id: str | None = None
    question_count: int = 0


class QuestionTopic(Record):
    """Which topic a question of a session was about."""

    question_id: str
    topic: str


class QuestionScore(Record):
    """How one question of a session scored."""

    question_id: str
    score: int


class AttemptRecord(Record):
    """One session of an interview: what the session and its feedback said, in brief."""

    session_id: str
    user_id: str
    interview_id: str
    # From SessionCompleted.
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome | None = None
    role: Role | None = None
    interview_type: InterviewType | None = None
    level: Level | None = None
    question_topics: list[QuestionTopic] = Field(default_factory=list)
    # From FeedbackReady.
    feedback_id: str | None = None
    feedback_created_at: datetime | None = None
    gradable: bool | None = None
    overall_score: int | None = None
    category_scores: dict[Category, int] = Field(default_factory=dict)
    question_scores: list[QuestionScore] = Field(default_factory=list)
    speech: SpeechMetrics | None = None

    @property
    def at(self) -> datetime | None:
        """When the attempt happened: the session's end, or the feedback's time until then."""
        return self.ended_at or self.feedback_created_at

    @property
    def status(self) -> AttemptStatus:
        """Whether feedback has arrived, and whether it could grade the session."""
        if self.feedback_id is None:
            return "awaiting_feedback"
        return "graded" if self.gradable else "ungradable"


class SessionSummary(Record):
    """What a session was, as the transcript tells it."""

    started_at: datetime
    ended_at: datetime
    outcome: Outcome
    role: Role
    interview_type: InterviewType
    level: Level
    tech_stack: list[str] = Field(default_factory=list)


class AskedQuestion(Record):
    """A question of a session with the candidate's answer to it."""

    question_id: str
    text: str
    topic: str
    kind: QuestionKind
    key_points: list[str] = Field(default_factory=list)
    answer: str = ""


class AttemptReport(Record):
    """Everything about one attempt: the session, its questions and answers, its feedback."""

    session_id: str
    user_id: str
    interview_id: str
    session: SessionSummary | None = None
    questions: list[AskedQuestion] = Field(default_factory=list)
    feedback: Feedback | None = None


class ProgressEntry(Record):
    """One attempt in the user's progress document: just what the progress series need."""

    session_id: str
    interview_id: str
    ended_at: datetime | None = None
    role: Role | None = None
    interview_type: InterviewType | None = None
    feedback_created_at: datetime | None = None
    gradable: bool | None = None
    overall_score: int | None = None
    category_scores: dict[Category, int] = Field(default_factory=dict)

    @property
    def at(self) -> datetime | None:
        """When the attempt happened: the session's end, or the feedback's time until then."""
        return self.ended_at or self.feedback_created_at


def progress_key(session_id: str) -> str:
    """The field name of a session in the progress document; session ids may hold dots or $."""
    return "s" + hashlib.sha256(session_id.encode()).hexdigest()[:24]


def progress_session_fields(transcript: Transcript) -> dict[str, Any]:
    """What ``SessionCompleted`` sets on the session's progress entry."""
    return {
        "session_id": transcript.session_id,
        "interview_id": transcript.interview_id,
        "ended_at": transcript.ended_at,
        "role": transcript.interview.role,
        "interview_type": transcript.interview.interview_type,
    }


def progress_feedback_fields(feedback: Feedback) -> dict[str, Any]:
    """What ``FeedbackReady`` sets on the session's progress entry."""
    return {
        "session_id": feedback.session_id,
        "interview_id": feedback.interview_id,
        "feedback_created_at": feedback.created_at,
        "gradable": feedback.gradable,
        "overall_score": feedback.overall_score,
        "category_scores": {name: c.score for name, c in feedback.categories.items()},
    }


def interview_fields(interview: Interview) -> dict[str, Any]:
    """What ``InterviewCreated`` sets on the interview document."""
    return {
        "role": interview.role,
        "interview_type": interview.interview_type,
        "level": interview.level,
        "tech_stack": list(interview.tech_stack),
        "created_at": interview.created_at,
        "source": interview.source,
        "parent_interview_id": interview.parent_interview_id,
        "question_count": len(interview.questions),
    }


def interview_fields_from_session(transcript: Transcript) -> dict[str, Any]:
    """What a session knows of its interview: used only while ``InterviewCreated`` is missing."""
    spec = transcript.interview
    return {
        "role": spec.role,
        "interview_type": spec.interview_type,
        "level": spec.level,
        "tech_stack": list(spec.tech_stack),
        "created_at": transcript.started_at,
        "question_count": len(spec.questions),
    }


def attempt_session_fields(transcript: Transcript) -> dict[str, Any]:
    """What ``SessionCompleted`` sets on the attempt document."""
    spec = transcript.interview
    return {
        "interview_id": transcript.interview_id,
        "started_at": transcript.started_at,
        "ended_at": transcript.ended_at,
        "outcome": transcript.outcome,
        "role": spec.role,
        "interview_type": spec.interview_type,
        "level": spec.level,
        "question_topics": [
            {"question_id": q.question_id, "topic": q.topic} for q in spec.questions
        ],
    }


def attempt_feedback_fields(feedback: Feedback) -> dict[str, Any]:
    """What ``FeedbackReady`` sets on the attempt document."""
    return {
        "interview_id": feedback.interview_id,
        "feedback_id": feedback.feedback_id,
        "feedback_created_at": feedback.created_at,
        "gradable": feedback.gradable,
        "overall_score": feedback.overall_score,
        "category_scores": {name: c.score for name, c in feedback.categories.items()},
        "question_scores": [
            {"question_id": q.question_id, "score": q.score} for q in feedback.questions
        ],
        "speech": feedback.speech.model_dump() if feedback.speech else None,
    }


def answers_by_question(transcript: Transcript) -> dict[str, str]:
    """The candidate's words for each question, joined and cut to ``MAX_ANSWER_CHARS``."""
    parts: dict[str, list[str]] = {}
    for turn in transcript.turns:
        if turn.speaker == "candidate" and turn.question_id and turn.kind == "answer":
            parts.setdefault(turn.question_id, []).append(turn.text.strip())
    return {qid: " ".join(p for p in texts if p)[:MAX_ANSWER_CHARS] for qid, texts in parts.items()}


def report_session_fields(transcript: Transcript) -> dict[str, Any]:
    """What ``SessionCompleted`` sets on the report document."""
    spec = transcript.interview
    answers = answers_by_question(transcript)
    session = SessionSummary(
        started_at=transcript.started_at,
        ended_at=transcript.ended_at,
        outcome=transcript.outcome,
        role=spec.role,
        interview_type=spec.interview_type,
        level=spec.level,
        tech_stack=list(spec.tech_stack),
    )
    questions = [
        AskedQuestion(
            question_id=q.question_id,
            text=q.text,
            topic=q.topic,
            kind=q.kind,
            key_points=list(q.key_points),
            answer=answers.get(q.question_id, ""),
        )
        for q in spec.questions
    ]
    return {
        "interview_id": transcript.interview_id,
        "session": session.model_dump(),
        "questions": [q.model_dump() for q in questions],
    }


def report_feedback_fields(feedback: Feedback) -> dict[str, Any]:
    """What ``FeedbackReady`` sets on the report document."""
    return {
        "interview_id": feedback.interview_id,
        "feedback_created_at": feedback.created_at,
        "feedback": feedback.model_dump(),
    }
