"""Turning an LLM judgement into feedback: keep only real quotes, then replace or blend.

Pure functions: no I/O, so the rules are tested without a server.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from common.events import Category, CategoryScore, Feedback, ScorerInfo, Transcript
from scoring.domain.rubric import FEEDBACK_NAMESPACE, OVERALL_WEIGHTS
from scoring.judge.schema import JudgedCategory, JudgeOutput

LLM_ENGINE: Final = "llm-judge"
BLEND_ENGINE: Final = "blend"
# A quote shorter than this ("yes", "I think") shows nothing, even when it is in the transcript.
MIN_QUOTE_WORDS: Final = 3
MAX_EVIDENCE: Final = 5
_MAX_TEXT: Final = 2_000
_MAX_SHORT: Final = 200
_WORD = re.compile(r"[\w']+")

Combination = Literal["llm", "blend"]


class JudgeFailed(Exception):
    """The LLM judge gave nothing usable; ``reason`` is a short label, the message the detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CheckedJudgement:
    """The judge's output with every quote replaced by the transcript's own words."""

    categories: dict[Category, JudgedCategory]
    output: JudgeOutput
    dropped_quotes: int


class CandidateWords:
    """The candidate's turns, searchable for quotes regardless of case and punctuation."""

    def __init__(self, transcript: Transcript) -> None:
        self._texts = tuple(
            t.text for t in transcript.turns if t.speaker == "candidate" and t.kind != "backchannel"
        )

    def find(self, quote: str) -> str | None:
        """The transcript's verbatim text of ``quote``, or None when the candidate never said it.

        LLMs change case and punctuation when they quote, so words must match in order with
        only spaces and punctuation between them; what is returned is the transcript's text.
        """
        tokens = _WORD.findall(quote)
        if len(tokens) < MIN_QUOTE_WORDS:
            return None
        pattern = re.compile(
            r"(?<![\w'])" + r"[^\w']+".join(re.escape(t) for t in tokens) + r"(?![\w'])",
            re.IGNORECASE,
        )
        for text in self._texts:
            match = pattern.search(text)
            if match:
                return match.group()
        return None


def check_evidence(output: JudgeOutput, transcript: Transcript) -> CheckedJudgement:
    """Keep the quotes the candidate really said; fail when none of them is real.

    Raises:
        JudgeFailed: ``no_evidence`` when the judge quoted nothing, ``invented_evidence`` when
            no quote can be found in the candidate's turns.
    """
    words = CandidateWords(transcript)
    checked: dict[Category, JudgedCategory] = {}
    given = dropped = 0
    for name, judged in output.categories.by_name().items():
        real: list[str] = []
        for quote in judged.evidence:
            given += 1
            found = words.find(quote)
            if found is None:
                dropped += 1
            elif found not in real:
                real.append(found)
        checked[name] = judged.model_copy(update={"evidence": real})
    if given == 0:
        raise JudgeFailed("no_evidence", "the judge quoted nothing from the transcript")
    if dropped == given:
        raise JudgeFailed(
            "invented_evidence", f"none of the {given} quotes occurs in the candidate's turns"
        )
    return CheckedJudgement(categories=checked, output=output, dropped_quotes=dropped)


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unique(quotes: Iterable[str], limit: int = MAX_EVIDENCE) -> list[str]:
    out: list[str] = []
    for quote in quotes:
        if quote not in out:
            out.append(_clip(quote))
    return out[:limit]


def _or_offline(items: Sequence[str], offline: Sequence[str]) -> list[str]:
    return [_clip(i) for i in items] if items else list(offline)


def combine(
    offline: Feedback,
    judgement: CheckedJudgement,
    *,
    transcript: Transcript,
    how: Combination,
    blend_weight: float,
    judge_version: str,
) -> Feedback:
    """Feedback from the judge alone (``llm``) or a weighted mean with the rubric (``blend``).

    Per-question results and speech metrics always come from the rubric: the judge does not
    produce them. A category the judge supported with no real quote keeps the rubric's quotes,
    so every score still points at the candidate's words.
    """
    if not offline.gradable:
        raise ValueError("only gradable feedback is judged")
    categories: dict[Category, CategoryScore] = {}
    for name, judged in judgement.categories.items():
        rubric = offline.categories[name]
        if how == "llm":
            categories[name] = CategoryScore(
                score=judged.score,
                rationale=_clip(judged.rationale),
                evidence=_unique(judged.evidence or rubric.evidence),
            )
        else:
            score = round(blend_weight * judged.score + (1 - blend_weight) * rubric.score)
            categories[name] = CategoryScore(
                score=score,
                rationale=_clip(f"{rubric.rationale} LLM judge: {judged.rationale}"),
                evidence=_unique([*judged.evidence, *rubric.evidence]),
            )
    weights = OVERALL_WEIGHTS[transcript.interview.interview_type]
    overall = round(sum(weights[c] * categories[c].score for c in weights))
    warnings = list(offline.warnings)
    if judgement.dropped_quotes:
        warnings.append(
            f"The LLM judge quoted {judgement.dropped_quotes} passage(s) the candidate did not "
            "say; they were left out."
        )
    output = judgement.output
    if how == "llm":
        engine = LLM_ENGINE
        version = judge_version
        strengths = _or_offline(output.strengths, offline.strengths)
        improvements = _or_offline(output.improvements, offline.improvements)
        assessment = _clip(output.final_assessment)
    else:
        engine = BLEND_ENGINE
        version = f"{offline.scorer.engine} {offline.scorer.version} + {judge_version}"
        version += f" @ {blend_weight:g}"
        strengths, improvements = list(offline.strengths), list(offline.improvements)
        assessment = offline.final_assessment
    version = _clip(version, _MAX_SHORT)
    return _revised(
        offline,
        {
            "feedback_id": str(
                uuid.uuid5(FEEDBACK_NAMESPACE, f"{offline.session_id}/{engine}/{version}")
            ),
            "warnings": warnings,
            "overall_score": overall,
            "categories": categories,
            "strengths": strengths,
            "improvements": improvements,
            "final_assessment": assessment,
            "scorer": ScorerInfo(engine=engine, version=version),
        },
    )


def offline_fallback(offline: Feedback, why: str) -> Feedback:
    """The rubric's feedback, saying that the LLM judge was not used and why."""
    warning = (
        f"The LLM judge could not be used ({why}); this feedback comes from the offline rubric."
    )
    return _revised(offline, {"warnings": [*offline.warnings, warning]})


def _revised(feedback: Feedback, changes: dict[str, object]) -> Feedback:
    # Validated again, so a revised document keeps every rule of the Feedback model.
    return Feedback.model_validate({**dict(feedback), **changes})
