"""Words around the numbers: question summaries, strengths, improvements, final assessment."""

from __future__ import annotations

from collections.abc import Sequence

from common.events import Category, CategoryScore, QuestionResult, Transcript
from scoring.domain.assessment import QuestionAssessment
from scoring.domain.categories import FILLER_ALLOWANCE, PACE_BAND
from scoring.domain.evidence import trim_quote
from scoring.domain.speech import SpeechProfile, filler_examples

MAX_POINTS = 5
STRONG_ANSWER = 70
_CATEGORY_NAMES: dict[Category, str] = {
    "communication": "communication",
    "technical_knowledge": "technical knowledge",
    "problem_solving": "problem solving",
    "cultural_fit": "cultural fit",
    "confidence": "confidence",
}


def _quoted(items: Sequence[str]) -> str:
    quoted = [f'"{i}"' for i in items]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _parts(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _clip(text: str, limit: int = 1_900) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def question_result(a: QuestionAssessment) -> QuestionResult:
    """The per-question result with covered and missed points and a summary."""
    cov = a.coverage
    if not a.answer.answered:
        summary = "Not answered."
    elif a.non_answer:
        first = a.answer.sentences[0].text if a.answer.sentences else a.answer.text
        summary = f'No real answer; the candidate said "{trim_quote(first)}"'
    else:
        total = len(cov.matches)
        covered = cov.covered_points
        summary = f"Covered {len(covered)} of {total} key points" if total else "No key points set"
        if covered:
            summary += f": {_quoted(covered)}"
        if cov.missed_points:
            summary += f"; missed {_quoted(cov.missed_points)}"
        summary += ". "
        st = a.structure
        kind = "STAR" if st.kind == "star" else "Technical structure"
        if st.present_parts:
            summary += f"{kind}: {_parts(st.present_parts)} present"
            summary += f"; {_parts(st.missing_parts)} missing." if st.missing_parts else "."
        else:
            summary += f"{kind}: none of {_parts(st.missing_parts)} came through."
        if st.reflection:
            summary += " Reflected on the lesson learned."
        if a.off_topic:
            summary += " The answer drifted off the question."
        elif a.one_liner:
            summary += f" Very short ({a.answer.word_count} words)."
        if a.blame:
            summary += " Blamed others."
    return QuestionResult(
        question_id=a.answer.question.question_id,
        score=a.score,
        covered_points=list(cov.covered_points),
        missed_points=list(cov.missed_points),
        summary=_clip(summary.strip()),
    )


def strengths(assessments: Sequence[QuestionAssessment], speech: SpeechProfile) -> list[str]:
    """What went well, naming the question and the key point."""
    out: list[str] = []
    ranked = sorted(assessments, key=lambda a: (-a.score, a.answer.number))
    for a in ranked:
        if a.score < STRONG_ANSWER and out:
            break
        if a.score < 50:
            break
        covered = a.coverage.covered_points
        line = f"{a.label}: "
        if covered:
            line += f"covered {_quoted(covered[:2])}"
            if len(covered) > 2:
                line += f" and {len(covered) - 2} more key point(s)"
        else:
            line += "a focused, well-developed answer"
        st = a.structure
        if st.kind == "star" and not st.missing_parts:
            line += ", told as a complete STAR story"
        elif st.kind == "technical" and st.part("trade-offs").present:
            line += ", with the trade-offs spelled out"
        if st.reflection:
            line += ", and reflected on the lesson"
        out.append(line + ".")
    m = speech.metrics
    if speech.words >= 80 and m.filler_words_per_100 <= 1.0:
        out.append(f"Clean delivery: {m.filler_words_per_100:.1f} filler words per 100 words.")
    if speech.words >= 80 and m.hedges_per_100 <= 0.5:
        out.append("Direct phrasing: you rarely hedged your statements.")
    low, high = PACE_BAND
    if speech.timed and low <= m.words_per_minute <= high and speech.words >= 80:
        out.append(f"A comfortable speaking pace of {m.words_per_minute:.0f} words per minute.")
    return out[:MAX_POINTS]


def improvements(assessments: Sequence[QuestionAssessment], speech: SpeechProfile) -> list[str]:
    """What to work on, naming the question and the missed key point."""
    out: list[str] = []
    for a in sorted(assessments, key=lambda a: (a.score, a.answer.number)):
        if not a.answer.answered:
            out.append(
                f"{a.label}: no answer was given; even a partial answer shows your reasoning."
            )
            continue
        if a.non_answer:
            out.append(
                f"{a.label}: you said you did not know; reason out loud about how you would "
                "find out, and name what you do know about the topic."
            )
            continue
        missed = a.coverage.missed_points
        st = a.structure
        if a.off_topic:
            out.append(
                f"{a.label}: the answer drifted away from the question; answer it directly first."
            )
        elif missed:
            line = f"{a.label}: cover {_quoted(missed[:2])}"
            if st.kind == "star" and st.missing_parts:
                line += f", and give the {_parts(st.missing_parts)} of your story"
            elif st.kind == "technical" and not st.part("trade-offs").present:
                line += ", and name the trade-offs of your approach"
            out.append(line + ".")
        elif st.missing_parts and a.score < 85:
            out.append(f"{a.label}: add the {_parts(st.missing_parts)} to round off the answer.")
        if a.blame:
            out.append(f"{a.label}: describe what you did rather than what others got wrong.")
    m = speech.metrics
    if m.filler_words_per_100 > FILLER_ALLOWANCE + 1:
        examples = filler_examples(" ".join(a.answer.text for a in assessments))
        out.insert(
            0,
            f"Cut filler words: {m.filler_words_per_100:.1f} per 100 words"
            + (f" (mostly {_quoted(examples)})" if examples else "")
            + "; a short silent pause works better.",
        )
    if m.hedges_per_100 > 2.0:
        out.insert(
            0,
            f"Commit to your answers: {m.hedges_per_100:.1f} hedges per 100 words "
            '("I think", "maybe", "probably") make sound points sound unsure.',
        )
    if m.mean_response_delay_ms is not None and m.mean_response_delay_ms > 4_000:
        out.append(
            f"Start answering sooner: {m.mean_response_delay_ms / 1000:.1f} s of silence on "
            "average; say how you will approach the question while you think."
        )
    low, high = PACE_BAND
    if speech.timed and m.words_per_minute > high + 10:
        out.append(f"Slow down: {m.words_per_minute:.0f} words per minute is hard to follow.")
    elif speech.timed and m.words_per_minute < low - 10:
        out.append(
            f"Keep the pace up: {m.words_per_minute:.0f} words per minute loses the listener."
        )
    return out[:MAX_POINTS]


def final_assessment(
    transcript: Transcript,
    assessments: Sequence[QuestionAssessment],
    speech: SpeechProfile,
    categories: dict[Category, CategoryScore],
    overall: int,
) -> str:
    """A few sentences specific to this transcript."""
    spec = transcript.interview
    best = max(assessments, key=lambda a: (a.score, -a.answer.number))
    worst = min(assessments, key=lambda a: (a.score, a.answer.number))
    text = (
        f"Overall {overall}/100 in a {spec.level} {spec.role} {spec.interview_type} interview, "
        f"graded on {len(assessments)} question(s)."
    )
    if best is worst:
        text += f" {best.label} scored {best.score}."
    else:
        text += (
            f" Strongest answer: {best.label} ({best.score}); "
            f"weakest: {worst.label} ({worst.score})"
        )
        missed = worst.coverage.missed_points
        if worst.non_answer:
            text += ", which went unanswered."
        elif missed:
            text += f", which missed {_quoted(missed[:2])}."
        else:
            text += "."
    m = speech.metrics
    delivery = (
        f" Delivery: {m.filler_words_per_100:.1f} filler words and "
        f"{m.hedges_per_100:.1f} hedges per 100 words"
    )
    if speech.timed:
        delivery += f" at {m.words_per_minute:.0f} words per minute"
    text += delivery + "."
    weakest = min(categories, key=lambda c: (categories[c].score, c))
    strongest = max(categories, key=lambda c: (categories[c].score, c))
    if overall >= 75:
        text += (
            f" A strong performance, led by {_CATEGORY_NAMES[strongest]}; polish the missed points."
        )
    elif overall >= 55:
        text += (
            f" A solid base; the biggest gain is in {_CATEGORY_NAMES[weakest]} "
            f"({categories[weakest].score})."
        )
    else:
        text += (
            f" Needs more preparation, starting with {_CATEGORY_NAMES[weakest]} "
            f"({categories[weakest].score})."
        )
    if transcript.outcome != "completed":
        text += " The interview did not finish, so only the answered questions were graded."
    if m.filler_words_per_100 > FILLER_ALLOWANCE + 1:
        text += " Filler words were frequent enough to distract."
    return text
