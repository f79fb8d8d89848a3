"""The five category scores, each with a rationale and the candidate's words as evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence

from common.events import Category, CategoryScore
from scoring.domain.assessment import QuestionAssessment
from scoring.domain.evidence import QuoteBook
from scoring.domain.language import CONCEPT_PREFIX, Sentence, normalize
from scoring.domain.speech import SpeechProfile, filler_count, hedge_count

_DECISIVE = re.compile(
    r"\b(?:i would|i'd (?:use|start|add|pick|choose|go|check|measure|put|ask|look)|i decided|"
    r"i chose|i proposed|i suggested|i recommend|my recommendation|definitely|clearly|"
    r"the answer is|the key is|the main|i always|i make sure|i told|i raised)\b"
)
_COLLABORATION = ("teammate", "listen", "help", "feedback", "agree", "stakeholder", "inform")
_CULTURE_CONCEPTS = frozenset(CONCEPT_PREFIX + c for c in (*_COLLABORATION, "ownership", "learn"))

# Pace outside this band (words per minute) starts to cost communication points.
PACE_BAND = (110.0, 175.0)
FILLER_ALLOWANCE = 2.0
HEDGE_ALLOWANCE = 1.0
SLOW_START_MS = 3_000


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _weighted_mean(pairs: Sequence[tuple[float, float]]) -> float:
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else 0.0


def _score(value: float) -> int:
    return round(max(0.0, min(100.0, value)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class CategoryScorer:
    """Computes the five categories from the per-question assessments and speech metrics."""

    def __init__(
        self, assessments: Sequence[QuestionAssessment], speech: SpeechProfile, book: QuoteBook
    ) -> None:
        self._items = list(assessments)
        self._speech = speech
        self._book = book
        self._non_answers = [a for a in self._items if a.non_answer]
        self._real = [a for a in self._items if not a.non_answer]

    def all(self) -> dict[Category, CategoryScore]:
        """All five categories."""
        return {
            "communication": self.communication(),
            "technical_knowledge": self.technical_knowledge(),
            "problem_solving": self.problem_solving(),
            "cultural_fit": self.cultural_fit(),
            "confidence": self.confidence(),
        }

    def _sentences(self) -> list[Sentence]:
        return [s for a in self._items for s in a.answer.sentences]

    def _fallback_quote(self) -> list[tuple[float, str]]:
        longest = max(self._items, key=lambda a: a.answer.word_count)
        return [(0.1, s.text) for s in longest.answer.sentences[:1]]

    def _evidence(self, ranked: list[tuple[float, str]]) -> list[str]:
        quotes = self._book.pick(ranked)
        return quotes or self._book.pick(self._fallback_quote())

    def _non_answer_note(self) -> str:
        if not self._non_answers:
            return ""
        names = ", ".join(a.label for a in self._non_answers)
        return f" No real answer to {names}."

    def technical_knowledge(self) -> CategoryScore:
        """Key points covered, weighted towards technical questions, plus concrete specifics."""
        pairs = [(a.coverage.score, 2.0 if a.technical else 1.0) for a in self._items]
        value = 100 * _weighted_mean(pairs)
        covered = sum(len(a.coverage.covered_points) for a in self._items)
        total = sum(len(a.coverage.matches) for a in self._items)
        best = max(self._items, key=lambda a: (a.coverage.score, -a.answer.number))
        asked = _plural(len(self._items), "question")
        rationale = f"Covered {covered} of {total} key points across {asked}"
        if best.coverage.score >= 0.3:
            rationale += f"; most complete on {best.label} ({round(best.coverage.score * 100)}%)"
        rationale += "." + self._non_answer_note()
        ranked = [
            (m.strength, m.evidence)
            for a in self._items
            for m in a.coverage.matches
            if m.evidence is not None and m.covered
        ]
        if not ranked:
            ranked = [(1.0, s.text) for a in self._non_answers for s in a.answer.sentences[:1]]
        return CategoryScore(
            score=_score(value), rationale=rationale, evidence=self._evidence(ranked)
        )

    def problem_solving(self) -> CategoryScore:
        """Approach and trade-offs in technical answers; action and result in stories."""
        values = []
        ranked: list[tuple[float, str]] = []
        tech = [a for a in self._items if a.technical]
        stories = [a for a in self._items if not a.technical]
        for a in self._items:
            st = a.structure
            if a.non_answer:
                values.append(0.0)
                continue
            if a.technical:
                values.append(0.6 * st.score + 0.4 * a.coverage.score)
                names = ("trade-offs", "approach", "complexity")
            else:
                ar = (st.part("action").presence + st.part("result").presence) / 2
                values.append(0.5 * ar + 0.2 * st.part("task").presence + 0.3 * a.coverage.score)
                names = ("action", "result", "task")
            for rank, name in enumerate(names):
                part = st.part(name)
                if part.evidence:
                    ranked.append((part.presence * (3 - rank), part.evidence))
        notes = []
        if tech:
            real = [a for a in tech if not a.non_answer]
            trade = sum(a.structure.part("trade-offs").present for a in real)
            cx = sum(a.structure.part("complexity").present for a in real)
            approach = sum(a.structure.part("approach").present for a in real)
            notes.append(
                f"In {_plural(len(tech), 'technical answer')}: a clear approach in {approach}, "
                f"trade-offs in {trade}, cost or complexity in {cx}."
            )
        if stories:
            real = [a for a in stories if not a.non_answer]
            acted = sum(a.structure.part("action").present for a in real)
            result = sum(a.structure.part("result").present for a in real)
            notes.append(
                f"In {_plural(len(stories), 'story')}: concrete actions in {acted}, "
                f"a stated result in {result}."
            )
        rationale = " ".join(notes) + self._non_answer_note()
        return CategoryScore(
            score=_score(100 * _mean(values)), rationale=rationale, evidence=self._evidence(ranked)
        )

    def communication(self) -> CategoryScore:
        """Structure and development of the answers, minus fillers and an awkward pace."""
        clarity = [
            0.05
            if a.non_answer
            else 0.45 * a.structure.score + 0.35 * a.depth + 0.2 * a.coverage.score
            for a in self._items
        ]
        m = self._speech.metrics
        value = 100 * _mean(clarity)
        filler_penalty = min(35.0, max(0.0, m.filler_words_per_100 - FILLER_ALLOWANCE) * 4)
        pace_penalty = 0.0
        low, high = PACE_BAND
        if self._speech.timed and not low <= m.words_per_minute <= high:
            distance = (
                low - m.words_per_minute if m.words_per_minute < low else m.words_per_minute - high
            )
            pace_penalty = min(15.0, distance / 4)
        value -= filler_penalty + pace_penalty
        rationale = (
            f"Answers averaged {m.mean_answer_words:.0f} words with "
            f"{m.filler_words_per_100:.1f} filler words per 100 words"
        )
        if self._speech.timed:
            rationale += f" at {m.words_per_minute:.0f} words per minute"
        structured = sum(1 for a in self._real if a.structure.score >= 0.6)
        rationale += f"; {structured} of {_plural(len(self._items), 'answer')} well structured."
        if filler_penalty >= 8:
            rationale += " Filler words cost clarity."
        if pace_penalty >= 5:
            rationale += " The pace was " + ("slow." if m.words_per_minute < low else "rushed.")
        rationale += self._non_answer_note()
        if filler_penalty >= 8:
            ranked = [(float(filler_count(s.text)), s.text) for s in self._sentences()]
        else:
            ranked = []
            for a in self._real:
                for part in a.structure.parts:
                    if part.evidence:
                        ranked.append((part.presence * a.structure.score, part.evidence))
        return CategoryScore(
            score=_score(value), rationale=rationale, evidence=self._evidence(ranked)
        )

    def cultural_fit(self) -> CategoryScore:
        """Collaboration, ownership and reflection in what the candidate said; blame costs."""
        concepts = frozenset(c for a in self._real for c in a.concepts)
        collaboration = min(1.0, sum(c in concepts for c in _COLLABORATION) / 3)
        i_actions = max(
            (a.structure.part("action").presence for a in self._real if not a.technical),
            default=0.0,
        )
        ownership = 1.0 if "ownership" in concepts else min(1.0, i_actions)
        reflection = (
            1.0 if ("learn" in concepts or any(a.structure.reflection for a in self._real)) else 0.0
        )
        signals = 0.4 * collaboration + 0.3 * ownership + 0.3 * reflection
        stories = [a for a in self._items if not a.technical]
        blame = sum(a.blame for a in self._items)
        if stories:
            value = 100 * (0.5 * _mean([a.score / 100 for a in stories]) + 0.5 * signals)
        else:
            # Technical interviews say little about fit: stay near the middle, move with signals.
            value = 100 * (0.35 + 0.45 * signals)
        value -= min(36.0, 12.0 * blame)
        value *= 1 - 0.6 * (len(self._non_answers) / len(self._items))
        found = [
            name
            for name, present in (
                ("collaboration", collaboration >= 0.34),
                ("ownership", ownership >= 0.67),
                ("reflection on lessons learned", reflection > 0),
            )
            if present
        ]
        rationale = (
            ("Showed " + ", ".join(found) + ".")
            if found
            else "Little sign of collaboration, ownership or reflection."
        )
        if not stories:
            rationale += " Limited evidence: the interview had no behavioral questions."
        if blame:
            rationale += f" Blamed others {_plural(blame, 'time')}."
        ranked = []
        for s in self._sentences():
            hits = sum(t in _CULTURE_CONCEPTS for t in s.terms)
            if f"{CONCEPT_PREFIX}blame" in s.terms:
                hits += 3
            ranked.append((float(hits), s.text))
        return CategoryScore(
            score=_score(value), rationale=rationale, evidence=self._evidence(ranked)
        )

    def confidence(self) -> CategoryScore:
        """Committed, direct answers; hedges, non-answers, long hesitations and one-liners cost."""
        m = self._speech.metrics
        decisive = _mean(
            [
                1.0
                if not a.non_answer
                and (
                    _DECISIVE.search(normalize(a.answer.text))
                    or a.structure.part("action" if not a.technical else "approach").present
                )
                else 0.0
                for a in self._items
            ]
        )
        hedge_penalty = min(40.0, max(0.0, m.hedges_per_100 - HEDGE_ALLOWANCE) * 7)
        non_answer_penalty = 45.0 * len(self._non_answers) / len(self._items)
        delay = m.mean_response_delay_ms
        delay_penalty = (
            min(15.0, (delay - SLOW_START_MS) / 400) if delay and delay > SLOW_START_MS else 0.0
        )
        short_penalty = max(0.0, (40 - m.mean_answer_words) / 40 * 20)
        filler_penalty = min(10.0, max(0.0, m.filler_words_per_100 - 4) * 1.5)
        value = (
            70
            + 20 * decisive
            - (hedge_penalty + non_answer_penalty + delay_penalty + short_penalty + filler_penalty)
        )
        rationale = f"{m.hedges_per_100:.1f} hedges per 100 words"
        if delay is not None:
            rationale += f", {delay / 1000:.1f} s mean delay before answering"
        committed = round(decisive * len(self._items))
        rationale += (
            f"; committed to a clear position in {committed} of "
            f"{_plural(len(self._items), 'answer')}."
        )
        rationale += self._non_answer_note()
        if hedge_penalty >= 7 or self._non_answers:
            ranked = [(float(hedge_count(s.text)), s.text) for s in self._sentences()]
            ranked += [(2.0, s.text) for a in self._non_answers for s in a.answer.sentences[:1]]
        else:
            ranked = [
                (1.0, s.text) for s in self._sentences() if _DECISIVE.search(normalize(s.text))
            ]
        return CategoryScore(
            score=_score(value), rationale=rationale, evidence=self._evidence(ranked)
        )
