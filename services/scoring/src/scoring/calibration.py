"""The calibration suite: labelled answers of known quality, and how well scores order them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events import InterviewSpec, Question, Transcript, Turn

Label = Literal["strong", "adequate", "weak"]
RANK: dict[Label, int] = {"strong": 2, "adequate": 1, "weak": 0}
# Spoken pace used to give calibration answers realistic timings.
WORDS_PER_MINUTE = 140
_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class LabelledAnswer(BaseModel):
    """One answer with its quality label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    label: Label
    text: str = Field(min_length=1)


class CalibrationSet(BaseModel):
    """Answers of different quality to one question."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interview_type: Literal["behavioral", "technical", "mixed"]
    level: Literal["junior", "mid", "senior"] = "mid"
    role: Literal["frontend", "backend", "fullstack"] = "backend"
    question: Question
    answers: list[LabelledAnswer] = Field(min_length=1)


def load_sets(directory: Path) -> list[CalibrationSet]:
    """Every calibration set (``*.json``) in a directory, in file-name order."""
    return [
        CalibrationSet.model_validate(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.json"))
    ]


def single_answer_transcript(
    spec: InterviewSpec, answer_text: str, *, session_id: str = "calibration"
) -> Transcript:
    """A one-question interview: greeting, the question, the answer, a closing."""
    question = spec.questions[0]
    greeting_end = 4_000
    asked_end = greeting_end + 500 + max(2_000, len(question.text.split()) * 400)
    answer_start = asked_end + 1_200
    answer_ms = max(1_000, round(len(answer_text.split()) * 60_000 / WORDS_PER_MINUTE))
    answer_end = answer_start + answer_ms
    turns = [
        Turn(
            speaker="interviewer",
            text="Hi, thanks for joining.",
            start_ms=0,
            end_ms=greeting_end,
            kind="greeting",
        ),
        Turn(
            speaker="interviewer",
            text=question.text,
            start_ms=greeting_end + 500,
            end_ms=asked_end,
            question_id=question.question_id,
            kind="question",
        ),
        Turn(
            speaker="candidate",
            text=answer_text,
            start_ms=answer_start,
            end_ms=answer_end,
            question_id=question.question_id,
            kind="answer",
        ),
        Turn(
            speaker="interviewer",
            text="Thank you, that's all from me.",
            start_ms=answer_end + 800,
            end_ms=answer_end + 3_000,
            kind="closing",
        ),
    ]
    return Transcript(
        session_id=session_id,
        interview_id=f"{session_id}-interview",
        user_id="calibration-user",
        started_at=_START,
        ended_at=_START + timedelta(milliseconds=answer_end + 3_000),
        outcome="completed",
        interview=spec,
        turns=turns,
    )


def spec_for(calibration: CalibrationSet) -> InterviewSpec:
    """The one-question interview a calibration set's answers belong to."""
    return InterviewSpec(
        role=calibration.role,
        interview_type=calibration.interview_type,
        level=calibration.level,
        questions=[calibration.question],
    )


@dataclass(frozen=True)
class ScoredAnswer:
    """A labelled answer and the score it got."""

    question_id: str
    answer_id: str
    label: Label
    score: float


@dataclass(frozen=True)
class Agreement:
    """How many cross-label pairs of answers were ordered as their labels say."""

    correct: int
    pairs: int
    ties: int
    misordered: tuple[tuple[str, str], ...]

    @property
    def rate(self) -> float:
        """Share of cross-label pairs in the right order; ties count as wrong."""
        return self.correct / self.pairs if self.pairs else 0.0


def pairwise_agreement(
    scored: Sequence[ScoredAnswer], *, within_question: bool = True
) -> Agreement:
    """Compare every pair of answers with different labels (per question by default)."""
    correct = ties = pairs = 0
    wrong: list[tuple[str, str]] = []
    for i, a in enumerate(scored):
        for b in scored[i + 1 :]:
            if a.label == b.label or (within_question and a.question_id != b.question_id):
                continue
            better, worse = (a, b) if RANK[a.label] > RANK[b.label] else (b, a)
            pairs += 1
            if better.score > worse.score:
                correct += 1
            else:
                if better.score == worse.score:
                    ties += 1
                wrong.append((better.answer_id, worse.answer_id))
    return Agreement(correct=correct, pairs=pairs, ties=ties, misordered=tuple(wrong))
