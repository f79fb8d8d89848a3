"""Response bodies of the history API that are not domain values already."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from common.events import Category, InterviewType, Level, Outcome, Role, Source
from history.domain.records import AttemptRecord, AttemptStatus, InterviewRecord
from history.service import InterviewSummary


class InterviewMeta(BaseModel):
    """An interview's metadata."""

    interview_id: str
    role: Role
    interview_type: InterviewType
    level: Level
    tech_stack: list[str]
    created_at: datetime
    source: Source | None
    parent_interview_id: str | None
    question_count: int

    @classmethod
    def of(cls, record: InterviewRecord) -> InterviewMeta:
        """The public view of a stored interview."""
        return cls.model_validate(record.model_dump(exclude={"user_id"}))


class InterviewItem(InterviewMeta):
    """An interview with how its attempts went."""

    attempts: int
    graded_attempts: int
    best_score: int | None
    last_score: int | None
    last_attempt_at: datetime | None

    @classmethod
    def summary(cls, summary: InterviewSummary) -> InterviewItem:
        """The list item of an interview summary."""
        return cls(
            **InterviewMeta.of(summary.interview).model_dump(),
            attempts=summary.attempts,
            graded_attempts=summary.graded_attempts,
            best_score=summary.best_score,
            last_score=summary.last_score,
            last_attempt_at=summary.last_attempt_at,
        )


class InterviewPage(BaseModel):
    """A page of interviews, newest first."""

    items: list[InterviewItem]
    next_cursor: str | None


class AttemptItem(BaseModel):
    """One attempt in brief."""

    session_id: str
    interview_id: str
    status: AttemptStatus
    at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    outcome: Outcome | None
    role: Role | None
    interview_type: InterviewType | None
    level: Level | None
    feedback_id: str | None
    feedback_created_at: datetime | None
    overall_score: int | None
    category_scores: dict[Category, int]

    @classmethod
    def of(cls, record: AttemptRecord) -> AttemptItem:
        """The public view of a stored attempt."""
        return cls(
            session_id=record.session_id,
            interview_id=record.interview_id,
            status=record.status,
            at=record.at,
            started_at=record.started_at,
            ended_at=record.ended_at,
            outcome=record.outcome,
            role=record.role,
            interview_type=record.interview_type,
            level=record.level,
            feedback_id=record.feedback_id,
            feedback_created_at=record.feedback_created_at,
            overall_score=record.overall_score,
            category_scores=dict(record.category_scores),
        )


class AttemptPage(BaseModel):
    """The attempts of one interview, newest first."""

    interview: InterviewMeta | None
    items: list[AttemptItem]
    next_cursor: str | None


class FeedbackPage(BaseModel):
    """A page of feedback in brief, newest first."""

    items: list[AttemptItem]
    next_cursor: str | None
