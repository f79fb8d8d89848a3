"""Calibration of the offline scorer: how often it orders labelled answers correctly.

Run: uv run python bench/scoring_calibration.py
"""

from __future__ import annotations

from pathlib import Path

from scoring.calibration import (
    ScoredAnswer,
    load_sets,
    pairwise_agreement,
    single_answer_transcript,
    spec_for,
)
from scoring.domain.rubric import RubricScorer

CALIBRATION = Path(__file__).parents[1] / "services" / "scoring" / "tests" / "calibration"


def main() -> None:
    sets = load_sets(CALIBRATION)
    scorer = RubricScorer()
    scored: list[ScoredAnswer] = []
    by_words: list[ScoredAnswer] = []
    print(f"{'answer':32} {'label':9} {'score':>5} {'overall':>7}")
    for cs in sets:
        spec = spec_for(cs)
        for a in cs.answers:
            fb = scorer.score(single_answer_transcript(spec, a.text, session_id=a.id))
            score = fb.questions[0].score if fb.gradable else 0
            print(f"{a.id:32} {a.label:9} {score:>5} {fb.overall_score or 0:>7}")
            scored.append(ScoredAnswer(cs.question.question_id, a.id, a.label, score))
            by_words.append(
                ScoredAnswer(cs.question.question_id, a.id, a.label, len(a.text.split()))
            )
    within = pairwise_agreement(scored)
    across = pairwise_agreement(scored, within_question=False)
    baseline = pairwise_agreement(by_words)
    print(
        f"answer length alone (baseline) orders {baseline.correct}/{baseline.pairs} "
        f"= {baseline.rate:.1%} of within-question pairs"
    )
    if within.misordered:
        print("misordered (better label, worse label):", ", ".join(map(str, within.misordered)))
    print(
        f"calibration: {len(scored)} answers, {len(sets)} questions; within-question "
        f"cross-label pairs ordered correctly: {within.correct}/{within.pairs} = {within.rate:.1%} "
        f"(ties {within.ties}); across all questions: {across.correct}/{across.pairs} "
        f"= {across.rate:.1%}"
    )


if __name__ == "__main__":
    main()
