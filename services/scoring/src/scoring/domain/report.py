"""A readable markdown report of a feedback document."""

from __future__ import annotations

from common.events import CATEGORIES, Feedback, InterviewSpec
from scoring.domain.answers import question_label

_TITLES = {
    "communication": "Communication",
    "technical_knowledge": "Technical knowledge",
    "problem_solving": "Problem solving",
    "cultural_fit": "Cultural fit",
    "confidence": "Confidence",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(feedback: Feedback, interview: InterviewSpec | None = None) -> str:
    """The feedback as markdown; with the interview, questions are named "Q2 (topic)"."""
    labels: dict[str, str] = {}
    if interview is not None:
        labels = {
            q.question_id: question_label(n, q) for n, q in enumerate(interview.questions, start=1)
        }
    lines = [f"# Interview feedback — session {feedback.session_id}", ""]
    if not feedback.gradable:
        lines += ["**Not gradable.**", ""]
        lines += [f"- {w}" for w in feedback.warnings]
        lines += ["", f"_Scorer: {feedback.scorer.engine} {feedback.scorer.version}_", ""]
        return "\n".join(lines)
    lines += [f"**Overall score: {feedback.overall_score}/100**", ""]
    if feedback.final_assessment:
        lines += [feedback.final_assessment, ""]
    if feedback.warnings:
        lines += ["> **Warnings**"]
        lines += [f"> - {w}" for w in feedback.warnings]
        lines += [""]
    lines += ["## Categories", "", "| Category | Score | Why |", "|---|---:|---|"]
    for name in CATEGORIES:
        c = feedback.categories[name]
        lines.append(f"| {_TITLES[name]} | {c.score} | {_cell(c.rationale)} |")
    lines.append("")
    for name in CATEGORIES:
        c = feedback.categories[name]
        if c.evidence:
            lines += [f"**{_TITLES[name]}: in your words**", ""]
            lines += [f"> {q}" for q in c.evidence]
            lines.append("")
    if feedback.strengths:
        lines += ["## Strengths", ""] + [f"- {s}" for s in feedback.strengths] + [""]
    if feedback.improvements:
        lines += ["## To improve", ""] + [f"- {s}" for s in feedback.improvements] + [""]
    if feedback.questions:
        lines += ["## Questions", ""]
        for q in feedback.questions:
            lines += [f"### {labels.get(q.question_id, q.question_id)} — {q.score}/100", ""]
            lines.append(q.summary)
            if q.covered_points:
                lines += ["", "Covered:"] + [f"- [x] {p}" for p in q.covered_points]
            if q.missed_points:
                lines += ["", "Missed:"] + [f"- [ ] {p}" for p in q.missed_points]
            lines.append("")
    if feedback.speech is not None:
        s = feedback.speech
        delay = (
            f"{s.mean_response_delay_ms / 1000:.1f} s"
            if s.mean_response_delay_ms is not None
            else "n/a"
        )
        lines += [
            "## Delivery",
            "",
            "| Metric | Value |",
            "|---|---:|",
            f"| Words per minute | {s.words_per_minute:.0f} |",
            f"| Filler words per 100 words | {s.filler_words_per_100:.1f} |",
            f"| Hedges per 100 words | {s.hedges_per_100:.1f} |",
            f"| Mean answer length (words) | {s.mean_answer_words:.0f} |",
            f"| Mean delay before answering | {delay} |",
            f"| Candidate share of talk time | {s.candidate_talk_ratio:.0%} |",
            "",
        ]
    lines += [f"_Scorer: {feedback.scorer.engine} {feedback.scorer.version}_", ""]
    return "\n".join(lines)
