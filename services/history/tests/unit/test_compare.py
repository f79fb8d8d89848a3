"""Two attempts side by side: questions paired by id, then text, then topic."""

from __future__ import annotations

from datetime import timedelta

from history.domain.compare import compare
from history.domain.records import (
    AttemptReport,
    report_feedback_fields,
    report_session_fields,
)
from history.testing import EPOCH, Attempt, feedback_ready, session_completed

USER = "user-ada"


def report(attempt: Attempt, *, with_session: bool = True) -> AttemptReport:
    fields = report_feedback_fields(feedback_ready(USER, attempt).data)
    if with_session:
        fields |= report_session_fields(session_completed(USER, attempt).data)
    return AttemptReport.model_validate(
        {"session_id": attempt.session_id, "user_id": USER, **fields}
    )


def test_a_retake_of_the_same_questions_pairs_them_by_id_with_score_changes() -> None:
    first = Attempt(
        "s-1", "i-1", EPOCH, 60, topic_scores=(50, 60, 70), categories={"communication": 55}
    )
    retake = Attempt(
        "s-2",
        "i-1",
        EPOCH + timedelta(days=3),
        75,
        topic_scores=(80, 60, 65),
        categories={"communication": 70},
    )
    result = compare(report(first), report(retake))

    assert (result.overall_change, result.category_changes["communication"]) == (15, 15)
    assert [(r.match, r.a and r.a.question_id, r.score_change) for r in result.questions] == [
        ("same_question", "q1", 30),
        ("same_question", "q2", 0),
        ("same_question", "q3", -5),
    ]
    row = result.questions[0]
    assert row.a is not None
    assert row.b is not None
    assert row.a.answer == "My answer about react hooks, with an example."
    assert row.b.missed_points == ["react hooks trade-offs"]


def renumbered(source: AttemptReport) -> AttemptReport:
    """The same attempt as if it came from another interview: other ids, other wording."""
    assert source.feedback is not None
    questions = [
        q.model_copy(
            update={"question_id": "x" + q.question_id, "text": f"Walk me through {q.topic}."}
        )
        for q in source.questions
    ]
    results = [
        r.model_copy(update={"question_id": "x" + r.question_id}) for r in source.feedback.questions
    ]
    feedback = source.feedback.model_copy(update={"questions": results})
    return source.model_copy(update={"questions": questions, "feedback": feedback})


def test_questions_of_another_interview_pair_by_topic_and_the_rest_stand_alone() -> None:
    first = Attempt("s-1", "i-1", EPOCH, 60, topics=("testing", "css"), topic_scores=(50, 60))
    other = renumbered(
        report(
            Attempt("s-2", "i-2", EPOCH, 70, topics=("graphql", "testing"), topic_scores=(70, 90))
        )
    )
    result = compare(report(first), other)

    assert [
        (r.match, r.a and r.a.topic, r.b and r.b.topic, r.score_change) for r in result.questions
    ] == [
        ("same_topic", "testing", "testing", 40),
        ("only_a", "css", None, None),
        ("only_b", None, "graphql", None),
    ]


def test_feedback_without_its_session_still_compares_by_question_id() -> None:
    first = Attempt("s-1", "i-1", EPOCH, 60, topic_scores=(50, 60, 70))
    second = Attempt("s-2", "i-1", EPOCH, 64, topic_scores=(55, 60, 70))
    result = compare(report(first, with_session=False), report(second))

    assert result.a.role is None
    assert result.b.role == "frontend"
    assert [(r.match, r.score_change) for r in result.questions] == [
        ("same_question", 5),
        ("same_question", 0),
        ("same_question", 0),
    ]
    assert result.questions[0].a is not None
    assert result.questions[0].a.text is None
    assert result.speech_changes["filler_words_per_100"] == 0.0
