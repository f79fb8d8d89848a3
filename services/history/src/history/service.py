"""History use cases: building the read models from events, and answering the user's questions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from common.events import FeedbackReady, InterviewCreated, SessionCompleted
from common.pagination import Cursor, PageRequest, is_after
from history.domain.compare import Comparison, compare
from history.domain.filters import FeedbackFilter, InterviewFilter, Scope
from history.domain.insights import InsightRules, Insights, SessionEvidence, TopicScore, insights
from history.domain.progress import Progress, ScoredAttempt, progress
from history.domain.records import (
    AttemptRecord,
    AttemptReport,
    InterviewRecord,
    ProgressEntry,
    attempt_feedback_fields,
    attempt_session_fields,
    interview_fields,
    interview_fields_from_session,
    progress_feedback_fields,
    progress_session_fields,
    report_feedback_fields,
    report_session_fields,
)
from history.repository import HistoryRepository

logger = logging.getLogger("mocksy.history")

T = TypeVar("T")
R = TypeVar("R", AttemptRecord, ProgressEntry)


class NotFound(Exception):
    """The user has no such interview, session or feedback (someone else's is not theirs)."""


class FeedbackNotReady(NotFound):
    """The session is in the user's history but its feedback has not arrived yet."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """Items of one page and the cursor of the next, None on the last page."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class InterviewSummary:
    """An interview with how its attempts went."""

    interview: InterviewRecord
    attempts: int
    graded_attempts: int
    best_score: int | None
    last_score: int | None
    last_attempt_at: datetime | None


class HistoryProjector:
    """Builds the read models from events; every handler is idempotent and order-independent."""

    def __init__(self, repository: HistoryRepository) -> None:
        self.repository = repository

    async def interview_created(self, event: InterviewCreated) -> None:
        """Record (or complete) the interview's metadata."""
        interview = event.data
        await self.repository.save_interview(
            interview.user_id, interview.id, interview_fields(interview), if_missing=False
        )

    async def session_completed(self, event: SessionCompleted) -> None:
        """Record the attempt and its questions and answers."""
        transcript = event.data
        user, session = transcript.user_id, transcript.session_id
        # The interview may not be known yet (its event is on another topic): the session's
        # copy of it fills in until InterviewCreated sets the real metadata.
        await self.repository.save_interview(
            user,
            transcript.interview_id,
            interview_fields_from_session(transcript),
            if_missing=True,
        )
        await self.repository.save_report(user, session, report_session_fields(transcript))
        await self.repository.save_attempt(user, session, attempt_session_fields(transcript))
        await self.repository.save_progress(
            user, session, "session", progress_session_fields(transcript)
        )

    async def feedback_ready(self, event: FeedbackReady) -> None:
        """Record the feedback on the attempt, unless newer feedback is already there."""
        feedback = event.data
        user, session, at = feedback.user_id, feedback.session_id, feedback.created_at
        applied = await self.repository.save_report(
            user, session, report_feedback_fields(feedback), feedback_at=at
        )
        applied = (
            await self.repository.save_attempt(
                user, session, attempt_feedback_fields(feedback), feedback_at=at
            )
            and applied
        )
        if applied:
            await self.repository.save_progress(
                user, session, "feedback", progress_feedback_fields(feedback)
            )
        else:
            logger.info(
                "kept newer feedback",
                extra={"session_id": session, "feedback_id": feedback.feedback_id},
            )


class HistoryQueries:
    """What a user can ask of their own history."""

    def __init__(self, repository: HistoryRepository) -> None:
        self.repository = repository

    async def interviews(
        self, user_id: str, filters: InterviewFilter, page: PageRequest
    ) -> Page[InterviewSummary]:
        """The user's interviews, newest first, with attempts, best and last score."""
        found = await self.repository.interviews(user_id, filters, page)
        shown = found[: page.limit]
        attempts = await self.repository.attempts_of(user_id, [i.interview_id for i in shown])
        by_interview: dict[str, list[AttemptRecord]] = {}
        for attempt in attempts:
            by_interview.setdefault(attempt.interview_id, []).append(attempt)
        summaries = [_summary(i, by_interview.get(i.interview_id, [])) for i in shown]
        next_cursor = (
            Cursor(shown[-1].created_at, shown[-1].interview_id).encode()
            if len(found) > page.limit
            else None
        )
        return Page(summaries, next_cursor)

    async def attempts(
        self, user_id: str, interview_id: str, page: PageRequest
    ) -> tuple[InterviewRecord | None, Page[AttemptRecord]]:
        """Every attempt of one of the user's interviews, newest first."""
        interview = (await self.repository.interviews_by_id(user_id, [interview_id])).get(
            interview_id
        )
        attempts = await self.repository.attempts_of(user_id, [interview_id])
        if interview is None and not attempts:
            raise NotFound(f"no interview {interview_id} in your history")
        ordered = sorted(
            (a for a in attempts if a.at is not None),
            key=lambda a: (a.at, a.session_id),
            reverse=True,
        )
        after = [a for a in ordered if a.at and is_after(a.at, a.session_id, page.after)]
        shown = after[: page.limit]
        last = shown[-1] if shown else None
        next_cursor = (
            Cursor(last.at, last.session_id).encode()
            if last is not None and last.at is not None and len(after) > page.limit
            else None
        )
        return interview, Page(shown, next_cursor)

    async def feedback_list(
        self, user_id: str, filters: FeedbackFilter, page: PageRequest
    ) -> Page[AttemptRecord]:
        """The user's feedback, newest first, in brief."""
        found = await self.repository.feedback_attempts(user_id, filters, page)
        shown = found[: page.limit]
        last = shown[-1] if shown else None
        next_cursor = (
            Cursor(last.feedback_created_at, last.session_id).encode()
            if last is not None and last.feedback_created_at and len(found) > page.limit
            else None
        )
        return Page(shown, next_cursor)

    async def report(self, user_id: str, session_id: str) -> AttemptReport:
        """The full report on one of the user's attempts."""
        report = await self.repository.report(user_id, session_id)
        if report is None:
            raise NotFound(f"no session {session_id} in your history")
        return report

    async def feedback(self, user_id: str, session_id: str) -> AttemptReport:
        """The full report on one of the user's attempts, once its feedback has arrived."""
        report = await self.report(user_id, session_id)
        if report.feedback is None:
            raise FeedbackNotReady(f"feedback on session {session_id} is not ready yet")
        return report

    async def progress(self, user_id: str, scope: Scope, *, window: int, last: int) -> Progress:
        """Score series over the user's ``last`` graded attempts in ``scope``."""
        entries = await self.repository.progress_entries(user_id)
        graded = [e for e in entries if e.gradable and e.overall_score is not None]
        attempts = await self._completed(user_id, graded, scope)
        scored = [
            ScoredAttempt(
                session_id=a.session_id,
                at=at,
                role=a.role,
                interview_type=a.interview_type,
                overall=a.overall_score,
                categories=a.category_scores,
            )
            for a in attempts
            if (at := a.at) is not None and a.overall_score is not None
        ]
        scored.sort(key=lambda s: (s.at, s.session_id))
        return progress(scored[-last:], window=window)

    async def insights(self, user_id: str, scope: Scope, rules: InsightRules) -> Insights:
        """Recurring weak areas, speech trends and improvements in the user's history."""
        attempts = await self._completed(
            user_id, await self.repository.graded_attempts(user_id), scope
        )
        evidence = []
        for attempt in attempts:
            at = attempt.at
            if at is None or attempt.overall_score is None:
                continue
            topic_of = {q.question_id: q.topic for q in attempt.question_topics}
            evidence.append(
                SessionEvidence(
                    session_id=attempt.session_id,
                    at=at,
                    overall=attempt.overall_score,
                    categories=attempt.category_scores,
                    topics=[
                        TopicScore(topic=topic_of[q.question_id], score=q.score)
                        for q in attempt.question_scores
                        if q.question_id in topic_of
                    ],
                    speech=attempt.speech,
                )
            )
        return insights(evidence, rules)

    async def compare(self, user_id: str, a: str, b: str) -> Comparison:
        """Two of the user's attempts side by side."""
        first = await self.report(user_id, a)
        second = await self.report(user_id, b)
        return compare(first, second)

    async def _completed(self, user_id: str, attempts: list[R], scope: Scope) -> list[R]:
        # An attempt whose session has not arrived yet knows no role or type: take them from
        # the interview, when that is known.
        unknown = {a.interview_id for a in attempts if a.role is None}
        interviews = await self.repository.interviews_by_id(user_id, unknown)
        completed = []
        for attempt in attempts:
            if attempt.role is None and attempt.interview_id in interviews:
                interview = interviews[attempt.interview_id]
                attempt = attempt.model_copy(
                    update={"role": interview.role, "interview_type": interview.interview_type}
                )
            if _in_scope(attempt, scope):
                completed.append(attempt)
        return completed


def _in_scope(attempt: AttemptRecord | ProgressEntry, scope: Scope) -> bool:
    at = attempt.at
    return (
        (scope.role is None or attempt.role == scope.role)
        and (scope.interview_type is None or attempt.interview_type == scope.interview_type)
        and (scope.since is None or (at is not None and at >= scope.since))
        and (scope.until is None or (at is not None and at < scope.until))
    )


def _summary(interview: InterviewRecord, attempts: list[AttemptRecord]) -> InterviewSummary:
    dated = sorted((a for a in attempts if a.at is not None), key=lambda a: (a.at, a.session_id))
    graded = [a for a in dated if a.overall_score is not None and a.gradable]
    scores = [a.overall_score for a in graded if a.overall_score is not None]
    last_at = dated[-1].at if dated else None
    return InterviewSummary(
        interview=interview,
        attempts=len(attempts),
        graded_attempts=len(graded),
        best_score=max(scores) if scores else None,
        last_score=scores[-1] if scores else None,
        last_attempt_at=last_at,
    )
