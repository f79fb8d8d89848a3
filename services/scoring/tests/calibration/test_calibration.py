"""Scores must order answers of clearly different quality: the calibration suite.

Run with ``pytest -s`` to see the figures; the last line of the report is also printed by
``bench/scoring_calibration.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from common.events import Feedback, InterviewSpec, Question, Transcript, Turn
from scoring.calibration import (
    CalibrationSet,
    ScoredAnswer,
    load_sets,
    pairwise_agreement,
    single_answer_transcript,
    spec_for,
)
from scoring.domain.rubric import RubricScorer

HERE = Path(__file__).parent
REQUIRED_AGREEMENT = 0.9


def _feedback(spec: InterviewSpec, text: str, session_id: str) -> Feedback:
    return RubricScorer().score(single_answer_transcript(spec, text, session_id=session_id))


@pytest.fixture(scope="module")
def sets() -> list[CalibrationSet]:
    return load_sets(HERE)


def test_suite_is_big_and_varied_enough(sets: list[CalibrationSet]) -> None:
    answers = [a for s in sets for a in s.answers]
    assert len(answers) >= 30
    assert {s.question.kind for s in sets} == {"behavioral", "technical"}
    for s in sets:
        assert {a.label for a in s.answers} == {"strong", "adequate", "weak"}, (
            s.question.question_id
        )


def test_scores_order_labelled_answers(sets: list[CalibrationSet]) -> None:
    scored = []
    for s in sets:
        spec = spec_for(s)
        for a in s.answers:
            fb = _feedback(spec, a.text, a.id)
            assert fb.gradable, f"calibration answer {a.id} is too thin to grade"
            scored.append(
                ScoredAnswer(s.question.question_id, a.id, a.label, fb.questions[0].score)
            )
    within = pairwise_agreement(scored)
    across = pairwise_agreement(scored, within_question=False)
    print(
        f"\ncalibration: {len(scored)} answers, {len(sets)} questions; "
        f"within-question cross-label pairs ordered correctly: {within.correct}/{within.pairs} "
        f"= {within.rate:.1%} (ties {within.ties}); across all questions: "
        f"{across.correct}/{across.pairs} = {across.rate:.1%}"
    )
    if within.misordered:
        print("misordered (better label, worse label):", ", ".join(map(str, within.misordered)))
    assert within.rate >= REQUIRED_AGREEMENT
    assert across.rate >= REQUIRED_AGREEMENT


TWINS = json.loads((HERE / "twins" / "twins.json").read_text(encoding="utf-8"))


def _twin_spec(entry: dict) -> InterviewSpec:  # type: ignore[type-arg]
    return InterviewSpec(
        role="backend",
        interview_type=entry["interview_type"],
        level="mid",
        questions=[Question.model_validate(entry["question"])],
    )


@pytest.mark.parametrize("entry", TWINS["sets"], ids=lambda e: e["question"]["question_id"])
def test_fillers_cost_communication(entry: dict) -> None:  # type: ignore[type-arg]
    spec = _twin_spec(entry)
    plain = _feedback(spec, entry["plain"], "plain")
    filled = _feedback(spec, entry["fillers"], "fillers")
    print(
        f"\n{entry['question']['question_id']}: communication plain "
        f"{plain.categories['communication'].score} vs with fillers "
        f"{filled.categories['communication'].score}"
    )
    assert filled.categories["communication"].score < plain.categories["communication"].score
    assert filled.speech is not None
    assert plain.speech is not None
    assert filled.speech.filler_words_per_100 > plain.speech.filler_words_per_100
    assert any("filler" in i.lower() for i in filled.improvements)


@pytest.mark.parametrize("entry", TWINS["sets"], ids=lambda e: e["question"]["question_id"])
def test_hedging_costs_confidence(entry: dict) -> None:  # type: ignore[type-arg]
    spec = _twin_spec(entry)
    plain = _feedback(spec, entry["plain"], "plain")
    hedged = _feedback(spec, entry["hedges"], "hedges")
    print(
        f"\n{entry['question']['question_id']}: confidence plain "
        f"{plain.categories['confidence'].score} vs hedging {hedged.categories['confidence'].score}"
    )
    assert hedged.categories["confidence"].score < plain.categories["confidence"].score
    assert any("commit to your answers" in i.lower() for i in hedged.improvements)


def test_empty_and_dont_know_answers_get_low_technical_knowledge() -> None:
    entry = TWINS["sets"][0]
    question = Question.model_validate(entry["question"])
    other = Question(
        question_id="twin-other",
        text="What is a database transaction?",
        kind="technical",
        topic="transactions",
        key_points=["all or nothing: commit or rollback", "isolation between concurrent writes"],
    )
    spec = InterviewSpec(
        role="backend", interview_type="technical", level="mid", questions=[question, other]
    )
    good_other = (
        "A transaction groups statements so they either all commit or all roll back, and "
        "isolation keeps concurrent writes from seeing each other's half-done changes."
    )
    baseline = _transcript(spec, [entry["plain"], good_other])
    strong = RubricScorer().score(baseline).categories["technical_knowledge"].score
    for bad in TWINS["non_answers"]:
        fb = RubricScorer().score(_transcript(spec, [bad, good_other]))
        result = next(q for q in fb.questions if q.question_id == question.question_id)
        knowledge = fb.categories["technical_knowledge"].score
        print(
            f"\nnon-answer {bad!r}: question score {result.score}, "
            f"technical_knowledge {knowledge} (vs {strong} when answered)"
        )
        assert result.score <= 10
        assert knowledge <= strong - 30
    only_bad = RubricScorer().score(
        _transcript(spec, [TWINS["non_answers"][1], TWINS["non_answers"][1]])
    )
    assert only_bad.categories["technical_knowledge"].score <= 10


def _transcript(spec: InterviewSpec, texts: list[str]) -> Transcript:
    """One answer per question, each asked and answered in turn."""
    turns = []
    clock = 0
    for question, text in zip(spec.questions, texts, strict=True):
        turns.append(
            Turn(
                speaker="interviewer",
                text=question.text,
                start_ms=clock,
                end_ms=clock + 4_000,
                question_id=question.question_id,
                kind="question",
            )
        )
        clock += 5_000
        duration = max(1_000, len(text.split()) * 430)
        turns.append(
            Turn(
                speaker="candidate",
                text=text,
                start_ms=clock,
                end_ms=clock + duration,
                question_id=question.question_id,
                kind="answer",
            )
        )
        clock += duration + 1_000
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return Transcript(
        session_id="twins",
        interview_id="twins-interview",
        user_id="calibration-user",
        started_at=start,
        ended_at=start + timedelta(milliseconds=clock),
        outcome="completed",
        interview=spec,
        turns=turns,
    )
