"""Assessing one answer: coverage, structure, depth and the penalties for non-answers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from scoring.domain.answers import Answer
from scoring.domain.coverage import Coverage, KeyPointMatcher
from scoring.domain.language import CONCEPT_PREFIX, Sentence, normalize
from scoring.domain.speech import filler_count, hedge_count
from scoring.domain.structure import Structure, analyze_structure

_NON_ANSWER = re.compile(
    r"\b(?:i (?:really |honestly |just |simply )?(?:don't|do not|dont) (?:really |actually )?"
    r"(?:know|remember|have (?:an? )?(?:idea|clue|answer))|no idea|no clue|"
    r"i(?:'m| am) not (?:familiar|sure)|i can't (?:remember|recall|say|think of)|"
    r"i haven't (?:used|worked|done)|never (?:used|heard|worked|done)|can we skip|"
    r"skip (?:this|that)|pass on (?:this|that)|i'm blanking|not something i know)\b"
)

# Word counts at which an answer's depth reaches these levels: spoken answers of one to two
# minutes (150-300 words) are the target; very long ones start to ramble.
_DEPTH_CURVE = (
    (0, 0.0),
    (10, 0.05),
    (30, 0.35),
    (60, 0.7),
    (100, 0.9),
    (140, 1.0),
    (320, 1.0),
    (500, 0.85),
    (900, 0.7),
)


def depth(word_count: int) -> float:
    """How fully developed an answer of this length can be, 0..1."""
    for (x0, y0), (x1, y1) in pairwise(_DEPTH_CURVE):
        if word_count <= x1:
            return y0 + (y1 - y0) * (word_count - x0) / (x1 - x0)
    return _DEPTH_CURVE[-1][1]


# A detected part of the answer's structure says more than any single word: the sentence that
# states the result covers "shares the outcome" even when it says "we shipped in a week".
_PART_CONCEPTS = {
    "situation": "situation",
    "action": "action",
    "result": "outcome",
    "trade-offs": "tradeoff",
    "complexity": "complexity",
    "examples": "example",
}


def with_structure_terms(sentences: Sequence[Sentence], structure: Structure) -> list[Sentence]:
    """The sentences, with the concept of each structure part added where it was found."""
    extra: dict[str, list[str]] = {}
    for part in structure.parts:
        concept = _PART_CONCEPTS.get(part.name)
        if concept and part.present and part.evidence is not None:
            extra.setdefault(part.evidence, []).append(CONCEPT_PREFIX + concept)
    return [
        replace(s, terms=s.terms + tuple(extra[s.text])) if s.text in extra else s
        for s in sentences
    ]


@dataclass(frozen=True)
class RubricConfig:
    """Thresholds of the offline rubric."""

    min_words: int = 20
    short_answer_words: int = 15
    non_answer_max_words: int = 60
    low_stt_confidence: float = 0.6


@dataclass(frozen=True)
class QuestionAssessment:
    """Everything the rubric concluded about one answer."""

    answer: Answer
    coverage: Coverage
    structure: Structure
    depth: float
    non_answer: bool
    off_topic: bool
    one_liner: bool
    blame: int
    fillers: int
    hedges: int
    concepts: frozenset[str]
    score: int

    @property
    def label(self) -> str:
        """The question's name in feedback."""
        return self.answer.label

    @property
    def technical(self) -> bool:
        """Whether the question is a technical one."""
        return self.answer.question.kind == "technical"

    @property
    def weak(self) -> bool:
        """A non-answer, off-topic answer or one-liner."""
        return self.non_answer or self.off_topic or self.one_liner


def assess_answer(
    answer: Answer, matcher: KeyPointMatcher, config: RubricConfig
) -> QuestionAssessment:
    """Coverage, structure, depth, penalties and a 0..100 score for one answer."""
    question = answer.question
    structure = analyze_structure(question.kind, answer.sentences)
    coverage = matcher.match(question, with_structure_terms(answer.sentences, structure))
    text = normalize(answer.text)
    concepts = frozenset(
        t[len(CONCEPT_PREFIX) :] for s in answer.sentences for t in s.terms if t[0] == "@"
    )
    blame = sum(1 for s in answer.sentences if f"{CONCEPT_PREFIX}blame" in s.terms)
    best = max((m.strength for m in coverage.matches), default=coverage.relevance)
    words = answer.word_count
    non_answer = (
        not answer.answered
        or words < 5
        or (
            words <= config.non_answer_max_words
            and _NON_ANSWER.search(text) is not None
            and best < 0.45
        )
    )
    # Stories tell their own situation in their own words, so a behavioral answer counts as off
    # topic only when it shares nothing at all with the question and its key points.
    drift = 0.0 if question.kind == "behavioral" else 0.12
    off_topic = (
        not non_answer and bool(coverage.matches) and coverage.relevance <= drift and best < 0.35
    )
    one_liner = not non_answer and words < config.short_answer_words
    d = depth(words)
    if question.kind == "behavioral":
        # A story is judged as much by its shape as by its content; blaming others costs.
        value = 0.5 * coverage.score + 0.35 * structure.score + 0.15 * d - 0.1 * min(blame, 2)
    else:
        value = 0.6 * coverage.score + 0.25 * structure.score + 0.15 * d
    if non_answer:
        value = min(value, 0.08)
    elif off_topic:
        value = min(value, 0.2)
    elif one_liner:
        value = min(value, 0.3)
    return QuestionAssessment(
        answer=answer,
        coverage=coverage,
        structure=structure,
        depth=d,
        non_answer=non_answer,
        off_topic=off_topic,
        one_liner=one_liner,
        blame=blame,
        fillers=filler_count(answer.text),
        hedges=hedge_count(answer.text),
        concepts=concepts,
        score=round(max(0.0, min(1.0, value)) * 100),
    )
