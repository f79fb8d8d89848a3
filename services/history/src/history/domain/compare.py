"""Two attempts side by side, question by question."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from common.events import Category, InterviewType, Level, QuestionResult, Role
from history.domain.records import AskedQuestion, AttemptReport

Match = Literal["same_question", "same_text", "same_topic", "only_a", "only_b"]


class Value(BaseModel):
    """Base of the comparison values: immutable."""

    model_config = ConfigDict(frozen=True)


class AttemptSide(Value):
    """One attempt's headline figures."""

    session_id: str
    interview_id: str
    at: datetime | None
    role: Role | None
    interview_type: InterviewType | None
    level: Level | None
    gradable: bool | None
    overall_score: int | None
    category_scores: dict[Category, int]


class QuestionSide(Value):
    """One attempt's question, its answer and how it scored."""

    question_id: str
    text: str | None
    topic: str | None
    answer: str | None
    score: int | None
    covered_points: list[str]
    missed_points: list[str]
    summary: str | None


class QuestionRow(Value):
    """A question of attempt a next to its counterpart in attempt b."""

    match: Match
    a: QuestionSide | None
    b: QuestionSide | None
    score_change: int | None


class Comparison(Value):
    """Attempt a and attempt b; changes are b minus a."""

    a: AttemptSide
    b: AttemptSide
    overall_change: int | None
    category_changes: dict[Category, int]
    speech_changes: dict[str, float]
    questions: list[QuestionRow]


def _side(report: AttemptReport) -> AttemptSide:
    feedback, session = report.feedback, report.session
    return AttemptSide(
        session_id=report.session_id,
        interview_id=report.interview_id,
        at=session.ended_at if session else (feedback.created_at if feedback else None),
        role=session.role if session else None,
        interview_type=session.interview_type if session else None,
        level=session.level if session else None,
        gradable=feedback.gradable if feedback else None,
        overall_score=feedback.overall_score if feedback else None,
        category_scores={c: s.score for c, s in feedback.categories.items()} if feedback else {},
    )


def _questions(report: AttemptReport) -> list[QuestionSide]:
    results: dict[str, QuestionResult] = (
        {q.question_id: q for q in report.feedback.questions} if report.feedback else {}
    )
    asked: list[AskedQuestion] = list(report.questions)
    sides = []
    for question in asked:
        result = results.pop(question.question_id, None)
        sides.append(
            QuestionSide(
                question_id=question.question_id,
                text=question.text,
                topic=question.topic,
                answer=question.answer,
                score=result.score if result else None,
                covered_points=list(result.covered_points) if result else [],
                missed_points=list(result.missed_points) if result else [],
                summary=result.summary if result else None,
            )
        )
    # Feedback that arrived before its session: questions known only by id.
    for result in results.values():
        sides.append(
            QuestionSide(
                question_id=result.question_id,
                text=None,
                topic=None,
                answer=None,
                score=result.score,
                covered_points=list(result.covered_points),
                missed_points=list(result.missed_points),
                summary=result.summary,
            )
        )
    return sides


def _normal(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def align(a: list[QuestionSide], b: list[QuestionSide]) -> list[QuestionRow]:
    """Pair questions by id, then by identical text, then by topic; the rest stand alone."""
    pairs: dict[int, tuple[int, Match]] = {}
    used_b: set[int] = set()
    keys: list[tuple[Match, Callable[[QuestionSide], str]]] = [
        ("same_question", lambda q: q.question_id),
        ("same_text", lambda q: _normal(q.text)),
        ("same_topic", lambda q: _normal(q.topic)),
    ]
    for match, key in keys:
        for i, question in enumerate(a):
            if i in pairs or not key(question):
                continue
            for j, other in enumerate(b):
                if j not in used_b and key(other) == key(question):
                    pairs[i] = (j, match)
                    used_b.add(j)
                    break
    rows = []
    for i, question in enumerate(a):
        if i in pairs:
            j, match = pairs[i]
            other = b[j]
            change = (
                other.score - question.score
                if other.score is not None and question.score is not None
                else None
            )
            rows.append(QuestionRow(match=match, a=question, b=other, score_change=change))
        else:
            rows.append(QuestionRow(match="only_a", a=question, b=None, score_change=None))
    rows += [
        QuestionRow(match="only_b", a=None, b=other, score_change=None)
        for j, other in enumerate(b)
        if j not in used_b
    ]
    return rows


def compare(a: AttemptReport, b: AttemptReport) -> Comparison:
    """Attempt ``a`` next to attempt ``b``: headline, category, speech and question changes."""
    side_a, side_b = _side(a), _side(b)
    overall_change = (
        side_b.overall_score - side_a.overall_score
        if side_a.overall_score is not None and side_b.overall_score is not None
        else None
    )
    category_changes = {
        c: side_b.category_scores[c] - score
        for c, score in side_a.category_scores.items()
        if c in side_b.category_scores
    }
    speech_changes: dict[str, float] = {}
    if a.feedback and b.feedback and a.feedback.speech and b.feedback.speech:
        before, after = a.feedback.speech.model_dump(), b.feedback.speech.model_dump()
        speech_changes = {
            name: round(after[name] - value, 2)
            for name, value in before.items()
            if value is not None and after.get(name) is not None
        }
    return Comparison(
        a=side_a,
        b=side_b,
        overall_change=overall_change,
        category_changes=category_changes,
        speech_changes=speech_changes,
        questions=align(_questions(a), _questions(b)),
    )
