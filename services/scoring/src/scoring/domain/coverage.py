"""Key-point coverage: which of a question's key points an answer covers, and where."""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from common.events import Question
from scoring.domain.language import (
    Sentence,
    content_terms,
    joined_identifiers,
    normalize,
    stem,
    terms_of,
    words,
)
from scoring.domain.lexicon import GENERIC_TERMS, KEY_POINT_LEAD_VERBS

# Words after which a key point names what to avoid ("takes ownership rather than blaming").
_CONTRAST = re.compile(r"\b(?:rather than|instead of|without|as opposed to)\b")
_EXAMPLES = re.compile(
    r"\s*(?::|\(|\bsuch as\b|\be\.g\.?|\bfor example\b|\bincluding\b|\blike\b)\s*"
)
_LIST_SEPARATOR = re.compile(r"\s*(?:,|\bor\b|\band\b|/|\))\s*")
_OR = re.compile(r"\s*(?:\bor\b|/)\s*")
_LEAD_VERB = re.compile(
    r"^\s*(?:" + "|".join(sorted(KEY_POINT_LEAD_VERBS, key=lambda v: (-len(v), v))) + r")\b\s*"
)
EXAMPLE_WEIGHT = 1.0
# Words the question already says are cheap to repeat, so they count for less.
ECHO_WEIGHT = 0.6
GENERIC_WEIGHT = 0.5
# A window is a run of whole sentences holding about this many content terms (~60 spoken words).
WINDOW_TERMS = 30
# Terms spread across the whole answer count, but less than terms said together.
SPREAD_DISCOUNT = 0.8
COVERED_AT = 0.6
_CREDIT_FROM = 0.2
_CREDIT_SPAN = 0.5


@dataclass(frozen=True)
class KeyPointVariant:
    """One way to make a key point: weighted terms, plus examples of which any one will do."""

    terms: tuple[tuple[str, float], ...]
    examples: tuple[tuple[str, ...], ...] = ()

    def strength(self, present: AbstractSet[str]) -> float:
        """Share of the variant's weight found among the present terms."""
        total = sum(w for _, w in self.terms)
        got = sum(w for t, w in self.terms if t in present)
        if self.examples:
            total += EXAMPLE_WEIGHT
            got += EXAMPLE_WEIGHT * max(
                sum(t in present for t in ex) / len(ex) for ex in self.examples
            )
        return got / total if total else 0.0


@dataclass(frozen=True)
class KeyPoint:
    """A key point as alternative variants ("A or B"), each reduced to weighted terms."""

    text: str
    variants: tuple[KeyPointVariant, ...]

    @property
    def weights(self) -> dict[str, float]:
        """Every term of every variant with its highest weight."""
        out: dict[str, float] = {}
        for v in self.variants:
            for t, w in v.terms:
                out[t] = max(w, out.get(t, 0.0))
            for ex in v.examples:
                for t in ex:
                    out[t] = max(EXAMPLE_WEIGHT, out.get(t, 0.0))
        return out

    def strength(self, present: AbstractSet[str]) -> float:
        """How much of the key point the present terms make, taking the best variant."""
        return max(v.strength(present) for v in self.variants)


@dataclass(frozen=True)
class KeyPointMatch:
    """How strongly an answer covers one key point, with the sentence that shows it."""

    key_point: str
    strength: float
    matched_terms: tuple[str, ...]
    evidence: str | None

    @property
    def covered(self) -> bool:
        """Whether the point counts as covered."""
        return self.strength >= COVERED_AT

    @property
    def credit(self) -> float:
        """Partial credit in 0..1: a half-made point earns something, a full one earns 1."""
        return min(1.0, max(0.0, (self.strength - _CREDIT_FROM) / _CREDIT_SPAN))


@dataclass(frozen=True)
class Coverage:
    """Coverage of a question's key points by one answer."""

    matches: tuple[KeyPointMatch, ...]
    score: float
    relevance: float

    @property
    def covered_points(self) -> list[str]:
        """Key points the answer covered."""
        return [m.key_point for m in self.matches if m.covered]

    @property
    def missed_points(self) -> list[str]:
        """Key points the answer missed or only touched."""
        return [m.key_point for m in self.matches if not m.covered]


def _weighted_terms(text: str, question_terms: frozenset[str]) -> tuple[tuple[str, float], ...]:
    weights: dict[str, float] = {}
    for term, _ in terms_of([stem(w) for w in words(text)]):
        weight = 1.0
        if term in question_terms:
            weight = ECHO_WEIGHT
        if term in GENERIC_STEMS:
            weight = min(weight, GENERIC_WEIGHT)
        weights[term] = max(weight, weights.get(term, 0.0))
    return tuple(weights.items())


def compile_key_point(text: str, question_terms: frozenset[str]) -> KeyPoint:
    """Turn a key point into variants: lead verbs and anything after "rather than" go.

    "X such as A, B or C" is X plus one example, any of A, B or C; "A or B" is two variants.
    """
    lowered = normalize(text)
    lead = _LEAD_VERB.match(lowered)
    if lead:
        lowered = lowered[lead.end() :]
    contrast = _CONTRAST.search(lowered)
    if contrast:
        lowered = lowered[: contrast.start()]
    head, examples_text = lowered, ""
    marker = _EXAMPLES.search(lowered)
    if marker:
        head, examples_text = lowered[: marker.start()], lowered[marker.end() :]
    examples = tuple(
        terms
        for item in _LIST_SEPARATOR.split(examples_text)
        if (terms := tuple(dict.fromkeys(t for t, _ in _weighted_terms(item, frozenset()))))
    )
    variants = []
    for segment in _OR.split(head):
        weighted = _weighted_terms(segment, question_terms)
        if weighted or examples:
            variants.append(KeyPointVariant(terms=weighted, examples=examples))
    if not variants:
        variants.append(KeyPointVariant(terms=()))
    return KeyPoint(text=text, variants=tuple(variants))


GENERIC_STEMS = frozenset(stem(w) for w in GENERIC_TERMS)


def _windows(sentences: Sequence[Sentence]) -> list[tuple[int, int]]:
    spans = []
    for start in range(len(sentences)):
        size = 0
        end = start
        while end < len(sentences) and (
            end == start or size + len(sentences[end].terms) <= WINDOW_TERMS
        ):
            size += len(sentences[end].terms)
            end += 1
        spans.append((start, end))
    return spans


def _identifier_terms(question: Question) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for text in (question.text, question.topic, *question.key_points):
        for joined, parts in joined_identifiers(text).items():
            found[joined] = tuple(content_terms(" ".join(parts)))
    return found


def _spoken_apart(
    sentences: Sequence[Sentence], identifiers: dict[str, tuple[str, ...]]
) -> list[Sentence]:
    # "usememo" in an answer is read as the words of the question's "useMemo".
    if not identifiers:
        return list(sentences)
    out = []
    for s in sentences:
        extra = tuple(p for t in s.terms if t in identifiers for p in identifiers[t])
        out.append(replace(s, terms=s.terms + extra) if extra else s)
    return out


class KeyPointMatcher:
    """Matches key points against an answer by stems and the synonym table."""

    def match(self, question: Question, sentences: Sequence[Sentence]) -> Coverage:
        """Coverage of the question's key points by the answer's sentences."""
        question_terms = frozenset(content_terms(question.text))
        key_points = [compile_key_point(k, question_terms) for k in question.key_points]
        key_points = [k for k in key_points if k.weights]
        sentences = _spoken_apart(sentences, _identifier_terms(question))
        answer_terms = frozenset(t for s in sentences for t in s.terms)
        window_sets = [
            (start, end, frozenset(t for s in sentences[start:end] for t in s.terms))
            for start, end in _windows(sentences)
        ]
        matches = tuple(
            self._match_one(k, sentences, window_sets, answer_terms) for k in key_points
        )
        vocabulary = {
            t
            for t in (
                *question_terms,
                *content_terms(question.topic),
                *(t for k in key_points for t in k.weights),
            )
            if t not in GENERIC_STEMS
        }
        relevance = len(vocabulary & answer_terms) / len(vocabulary) if vocabulary else 0.0
        if matches:
            score = sum(m.credit for m in matches) / len(matches)
        else:
            # Without key points, staying on the question's vocabulary is all we can check.
            score = min(1.0, relevance * 2.0)
        return Coverage(matches=matches, score=score, relevance=relevance)

    def _match_one(
        self,
        key_point: KeyPoint,
        sentences: Sequence[Sentence],
        window_sets: list[tuple[int, int, frozenset[str]]],
        answer_terms: frozenset[str],
    ) -> KeyPointMatch:
        best = 0.0
        best_span = (0, 0)
        for start, end, terms in window_sets:
            got = key_point.strength(terms)
            if got > best:
                best, best_span = got, (start, end)
        strength = max(best, SPREAD_DISCOUNT * key_point.strength(answer_terms))
        weights = key_point.weights
        matched = tuple(t for t in weights if t in answer_terms)
        evidence = None
        if best > 0:
            start, end = best_span
            scored = [
                (sum(weights.get(t, 0.0) for t in dict.fromkeys(s.terms)), -i, s.text)
                for i, s in enumerate(sentences[start:end], start=start)
            ]
            top = max(scored)
            evidence = top[2] if top[0] > 0 else None
        return KeyPointMatch(
            key_point=key_point.text,
            strength=round(strength, 4),
            matched_terms=matched,
            evidence=evidence,
        )
