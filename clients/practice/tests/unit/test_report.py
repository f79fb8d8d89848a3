"""The feedback report as the candidate reads it in the terminal."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from common.events import CategoryScore, Feedback, ScorerInfo
from common.events.models import CATEGORIES
from mocksy_practice.report import feedback_report

SCORER = ScorerInfo(engine="offline-rubric", version="test")


def feedback(**changes: object) -> Feedback:
    fields: dict[str, object] = {
        "feedback_id": "f-1",
        "session_id": "s-1",
        "interview_id": "i-1",
        "user_id": "u-1",
        "created_at": datetime(2026, 11, 25, tzinfo=UTC),
        "gradable": True,
        "overall_score": 72,
        "categories": {
            c: CategoryScore(score=60 + n, rationale=f"why {c}") for n, c in enumerate(CATEGORIES)
        },
        "strengths": ["Explained the hash set clearly"],
        "improvements": ["Mention time complexity"],
        "final_assessment": "A solid mid-level answer set.",
        "scorer": SCORER,
    }
    return Feedback.model_validate(fields | changes)


def test_the_report_shows_overall_categories_strengths_improvements_and_assessment() -> None:
    report = feedback_report(feedback())
    assert "Overall: 72/100" in report
    assert re.search(r"Communication +60/100", report)
    assert re.search(r"Technical knowledge +61/100", report)
    assert "why technical_knowledge" in report
    assert "- Explained the hash set clearly" in report
    assert "- Mention time complexity" in report
    assert "A solid mid-level answer set." in report
    assert report.index("Strengths:") < report.index("To improve:")


def test_an_ungradable_interview_shows_why_and_no_score() -> None:
    report = feedback_report(
        feedback(
            gradable=False,
            overall_score=None,
            categories={},
            strengths=[],
            improvements=[],
            final_assessment="",
            warnings=["Too few answers to grade"],
        )
    )
    assert "could not be graded" in report
    assert "- Too few answers to grade" in report
    assert "Overall" not in report


def test_long_lines_are_wrapped_to_the_terminal_width() -> None:
    report = feedback_report(feedback(final_assessment="word " * 60))
    assert max(len(line) for line in report.splitlines()) <= 78
