"""The markdown report."""

from __future__ import annotations

from scoring.domain.report import render_markdown
from scoring.domain.rubric import RubricScorer


def test_ungradable_report_explains_why(kit) -> None:  # type: ignore[no-untyped-def]
    transcript = kit.interview().ask(kit.index).answer(kit.index, "No idea.").build()
    report = render_markdown(RubricScorer().score(transcript), transcript.interview)
    assert "**Not gradable.**" in report
    assert "only 2 words" in report
    assert "Overall score" not in report


def test_report_quotes_the_candidate_and_lists_points(kit) -> None:  # type: ignore[no-untyped-def]
    transcript = kit.answered().build()
    feedback = RubricScorer().score(transcript)
    report = render_markdown(feedback, transcript.interview)
    assert f"**Overall score: {feedback.overall_score}/100**" in report
    assert "### Q2 (database indexing)" in report
    assert "- [x] an index avoids a full table scan" in report
    quote = feedback.categories["technical_knowledge"].evidence[0]
    assert f"> {quote}" in report
