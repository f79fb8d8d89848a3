"""A feedback report as Markdown, and the plain structure both the Markdown and PDF use."""

from __future__ import annotations

from dataclasses import dataclass, field

from common.events import CATEGORIES
from history.domain.records import AttemptReport

SPEECH_LABELS = {
    "words_per_minute": "Words per minute",
    "filler_words_per_100": "Filler words per 100 words",
    "hedges_per_100": "Hedges per 100 words",
    "mean_answer_words": "Words per answer",
    "mean_response_delay_ms": "Time before answering (ms)",
    "candidate_talk_ratio": "Share of the talking",
}


@dataclass(frozen=True)
class Section:
    """A titled part of the report: paragraphs, then bullet points."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    level: int = 2


@dataclass(frozen=True)
class ReportDocument:
    """The report's content, independent of the output format."""

    title: str
    sections: list[Section]


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def report_document(report: AttemptReport) -> ReportDocument:
    """The sections of a feedback report on one attempt."""
    session, feedback = report.session, report.feedback
    facts = [f"Session: {report.session_id}", f"Interview: {report.interview_id}"]
    if session:
        stack = ", ".join(session.tech_stack) or "none"
        facts += [
            f"Role: {session.role}; type: {session.interview_type}; level: {session.level}",
            f"Tech stack: {stack}",
            f"Date: {session.started_at:%Y-%m-%d %H:%M} UTC; outcome: {session.outcome}",
        ]
    sections = [Section("Session", bullets=facts)]
    if feedback is None:
        sections.append(Section("Feedback", paragraphs=["Feedback is not ready yet."]))
        return ReportDocument(f"Interview feedback: {report.session_id}", sections)
    if not feedback.gradable:
        sections.append(
            Section(
                "Not graded",
                paragraphs=["This session could not be graded."],
                bullets=list(feedback.warnings),
            )
        )
    else:
        sections.append(Section("Overall score", paragraphs=[f"{feedback.overall_score} / 100"]))
        if feedback.final_assessment:
            sections.append(Section("Assessment", paragraphs=[feedback.final_assessment]))
        for category in CATEGORIES:
            score = feedback.categories.get(category)
            if score is None:
                continue
            quotes = [f'"{quote}"' for quote in score.evidence]
            sections.append(
                Section(
                    f"{_label(category)}: {score.score} / 100",
                    paragraphs=[score.rationale] if score.rationale else [],
                    bullets=quotes,
                    level=3,
                )
            )
        if feedback.warnings:
            sections.append(Section("Warnings", bullets=list(feedback.warnings)))
    if feedback.strengths:
        sections.append(Section("Strengths", bullets=list(feedback.strengths)))
    if feedback.improvements:
        sections.append(Section("To improve", bullets=list(feedback.improvements)))
    asked = {q.question_id: q for q in report.questions}
    for number, result in enumerate(feedback.questions, start=1):
        question = asked.get(result.question_id)
        bullets = []
        if result.covered_points:
            bullets.append("Covered: " + "; ".join(result.covered_points))
        if result.missed_points:
            bullets.append("Missed: " + "; ".join(result.missed_points))
        paragraphs = [question.text] if question else []
        if result.summary:
            paragraphs.append(result.summary)
        sections.append(
            Section(
                f"Question {number}: {result.score} / 100",
                paragraphs=paragraphs,
                bullets=bullets,
                level=3,
            )
        )
    if feedback.speech:
        values = feedback.speech.model_dump()
        sections.append(
            Section(
                "Delivery",
                bullets=[
                    f"{label}: {_number(values[name])}"
                    for name, label in SPEECH_LABELS.items()
                    if values.get(name) is not None
                ],
            )
        )
    sections.append(
        Section(
            "About this report",
            paragraphs=[
                f"Scored by {feedback.scorer.engine} {feedback.scorer.version} "
                f"on {feedback.created_at:%Y-%m-%d %H:%M} UTC."
            ],
        )
    )
    return ReportDocument(f"Interview feedback: {report.session_id}", sections)


def _escape(text: str) -> str:
    # Candidate quotes must read as text, not turn into Markdown headings, lists or links.
    escaped = text.replace("\\", "\\\\")
    for char in "`*_[]<>#|":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def feedback_markdown(report: AttemptReport) -> str:
    """The feedback report on one attempt as a Markdown document."""
    document = report_document(report)
    lines = [f"# {_escape(document.title)}", ""]
    for section in document.sections:
        lines += [f"{'#' * section.level} {_escape(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [_escape(paragraph), ""]
        if section.bullets:
            lines += [f"- {_escape(bullet)}" for bullet in section.bullets]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
