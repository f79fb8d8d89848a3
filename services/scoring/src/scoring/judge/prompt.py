"""The messages that ask an LLM to judge a transcript."""

from __future__ import annotations

from typing import Final

from common.events import Transcript

JUDGE_VERSION: Final = "1"
FUNCTION_NAME: Final = "submit_interview_feedback"

SYSTEM_PROMPT: Final = (
    "You are an experienced interviewer writing feedback on a mock job interview. Judge only "
    "what the candidate said in the transcript. Score each category from 0 to 100: "
    "communication (clear, structured, concise answers), technical_knowledge (correct, deep "
    "coverage of the key points), problem_solving (approach, trade-offs, reasoning), "
    "cultural_fit (collaboration, ownership, reflection) and confidence (committed answers "
    "without excessive hedging). For every category give a one- or two-sentence rationale and "
    "one to three evidence quotes copied word for word from the candidate's lines; never "
    "paraphrase a quote and never quote the interviewer. Then list up to five strengths, up "
    "to five improvements and a short final assessment. Answer only through the required "
    "output schema."
)

_SPEAKERS: Final = {"interviewer": "Interviewer", "candidate": "Candidate"}


def _interview_brief(transcript: Transcript) -> list[str]:
    spec = transcript.interview
    lines = [
        f"Role: {spec.role}; interview type: {spec.interview_type}; level: {spec.level}"
        + (f"; tech stack: {', '.join(spec.tech_stack)}" if spec.tech_stack else ""),
        f"Session outcome: {transcript.outcome}",
        "Questions and the key points a strong answer covers:",
    ]
    for number, question in enumerate(spec.questions, start=1):
        lines.append(f"Q{number} ({question.kind}, {question.topic}): {question.text}")
        lines.extend(f"  - {point}" for point in question.key_points)
    return lines


def conversation_lines(transcript: Transcript, max_chars: int) -> list[str]:
    """The spoken conversation, one line per turn, cut to fit ``max_chars`` overall.

    Back-channels ("mhm") are not part of the conversation. When the transcript is too long,
    every line is shortened to the same length rather than dropping whole answers.
    """
    turns = [t for t in transcript.turns if t.kind != "backchannel" and t.text.strip()]
    lines = [f"{_SPEAKERS[t.speaker]}: {' '.join(t.text.split())}" for t in turns]
    total = sum(len(line) + 1 for line in lines)
    if total <= max_chars or not lines:
        return lines
    per_line = max(80, max_chars // len(lines))
    return [line if len(line) <= per_line else line[: per_line - 1] + "…" for line in lines]


def judge_messages(transcript: Transcript, *, max_chars: int) -> list[dict[str, str]]:
    """System and user messages for one transcript; the user message stays within ``max_chars``."""
    brief = _interview_brief(transcript)
    budget = max(1_000, max_chars - sum(len(line) + 1 for line in brief) - 40)
    user = "\n".join([*brief, "", "Transcript:", *conversation_lines(transcript, budget)])
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user[:max_chars]},
    ]
