"""Offline scoring throughput: generated 10-question transcripts scored per second on one core.

Run: uv run python bench/scoring_throughput.py [--transcripts 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.events import InterviewSpec, Question, Transcript, Turn
from scoring.calibration import CalibrationSet, load_sets
from scoring.domain.rubric import RubricScorer

CALIBRATION = Path(__file__).parents[1] / "services" / "scoring" / "tests" / "calibration"
QUESTIONS_PER_TRANSCRIPT = 10
FOLLOW_UP_ANSWERS = (
    "Sure. To add to that, I would measure the effect before and after the change, and I'd "
    "keep the simplest option unless the numbers say otherwise.",
    "I think the main risk is that it gets complicated to maintain, so I'd document it and "
    "review it with the team.",
    "Um, I'm not completely sure, maybe I would ask a colleague who knows that part better.",
)


def generate(rng: random.Random, number: int, sets: list[CalibrationSet]) -> Transcript:
    """A completed 10-question mixed interview with follow-ups and back-channels."""
    questions = []
    answers = []
    for i in range(QUESTIONS_PER_TRANSCRIPT):
        cs = rng.choice(sets)
        q = cs.question
        questions.append(
            Question(
                question_id=f"q{i + 1}",
                text=q.text,
                kind=q.kind,
                topic=q.topic,
                key_points=q.key_points,
                follow_ups=["Can you say more about that?"],
            )
        )
        answers.append(rng.choice(cs.answers).text)
    turns: list[Turn] = []
    clock = 0

    def say(speaker: str, text: str, kind: str, qid: str | None, gap: int, ms: int) -> None:
        nonlocal clock
        start = clock + gap
        turns.append(
            Turn(
                speaker=speaker,  # type: ignore[arg-type]
                text=text,
                start_ms=start,
                end_ms=start + ms,
                question_id=qid,
                kind=kind,  # type: ignore[arg-type]
                stt_confidence=round(rng.uniform(0.7, 0.98), 2) if speaker == "candidate" else None,
            )
        )
        clock = start + ms

    say("interviewer", "Hi, thanks for joining. Let's get started.", "greeting", None, 0, 3_000)
    for q, text in zip(questions, answers, strict=True):
        say("interviewer", q.text, "question", q.question_id, 700, 5_000)
        words = len(text.split())
        answer_ms = int(words * 60_000 / rng.uniform(110, 170))
        say("candidate", text, "answer", q.question_id, rng.randint(600, 4_000), answer_ms)
        for k in range(rng.randint(0, 3)):
            turns.append(
                Turn(
                    speaker="interviewer",
                    text=rng.choice(("mhm", "right", "I see")),
                    start_ms=clock - answer_ms + (k + 1) * answer_ms // 4,
                    end_ms=clock - answer_ms + (k + 1) * answer_ms // 4 + 400,
                    question_id=q.question_id,
                    kind="backchannel",
                )
            )
        if rng.random() < 0.5:
            say("interviewer", q.follow_ups[0], "follow_up", q.question_id, 800, 2_000)
            follow = rng.choice(FOLLOW_UP_ANSWERS)
            say("candidate", follow, "answer", q.question_id, rng.randint(500, 2_500), 9_000)
        say("interviewer", "Thanks.", "acknowledgement", q.question_id, 500, 800)
    say("interviewer", "That's all from me, thank you.", "closing", None, 600, 2_500)
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    return Transcript(
        session_id=f"bench-{number}",
        interview_id=f"bench-int-{number}",
        user_id="bench-user",
        started_at=start,
        ended_at=start + timedelta(milliseconds=clock),
        outcome="completed",
        interview=InterviewSpec(
            role="fullstack", interview_type="mixed", level="mid", questions=questions
        ),
        turns=sorted(turns, key=lambda t: t.start_ms),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transcripts", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        # One core, as the scoring consumer would get per process.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(args.seed)
    sets = load_sets(CALIBRATION)
    transcripts = [generate(rng, n, sets) for n in range(args.transcripts)]
    words = [
        sum(len(t.text.split()) for t in tr.turns if t.speaker == "candidate") for tr in transcripts
    ]
    scorer = RubricScorer()
    first = time.perf_counter()
    scorer.score(transcripts[0])
    cold_ms = (time.perf_counter() - first) * 1000
    timings = []
    began = time.perf_counter()
    for transcript in transcripts:
        t0 = time.perf_counter()
        scorer.score(transcript)
        timings.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - began
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
    print(
        f"scoring throughput: {len(transcripts)} transcripts x {QUESTIONS_PER_TRANSCRIPT} "
        f"questions (mean {statistics.mean(words):.0f} candidate words each), one core"
    )
    print(f"first transcript (cold caches): {cold_ms:.1f} ms")
    print(
        f"{len(transcripts) / elapsed:.1f} transcripts/s; per transcript p50 {p50:.2f} ms, "
        f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
