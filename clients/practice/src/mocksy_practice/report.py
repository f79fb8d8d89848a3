"""The feedback report as the terminal shows it."""

from __future__ import annotations

import textwrap

from common.events import Feedback

WIDTH = 78


def _wrapped(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def feedback_report(feedback: Feedback) -> str:
    """Overall score, categories with their rationale, strengths, improvements, assessment."""
    lines = ["", "=" * WIDTH, "Your feedback", "=" * WIDTH]
    if not feedback.gradable:
        lines.append("This interview could not be graded:")
        lines.extend(line for warning in feedback.warnings for line in _wrapped(f"- {warning}"))
        return "\n".join(lines)
    lines.append(f"Overall: {feedback.overall_score}/100")
    lines.append("")
    lines.append("Categories:")
    for name, category in feedback.categories.items():
        lines.append(f"  {_title(name):<22} {category.score:>3}/100")
        if category.rationale:
            lines.extend(_wrapped(category.rationale, "      "))
    for heading, items in (
        ("Strengths", feedback.strengths),
        ("To improve", feedback.improvements),
    ):
        lines.append("")
        lines.append(f"{heading}:")
        lines.extend(line for item in items for line in _wrapped(f"- {item}"))
        if not items:
            lines.append("  (none noted)")
    if feedback.final_assessment:
        lines.append("")
        lines.append("Final assessment:")
        lines.extend(_wrapped(feedback.final_assessment))
    if feedback.warnings:
        lines.append("")
        lines.append("Notes:")
        lines.extend(line for warning in feedback.warnings for line in _wrapped(f"- {warning}"))
    return "\n".join(lines)
