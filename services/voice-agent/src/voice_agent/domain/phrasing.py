"""How the interviewer words its lines. The policy decides what to say; these only word it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from common.events import InterviewSpec, Outcome, Question
from common.events.models import MAX_TEXT
from voice_agent.domain.tone import AnswerQuality


class FollowUpReason(StrEnum):
    """Why the policy wants a follow-up."""

    MISSED_KEY_POINT = "missed_key_point"
    SHORT_ANSWER = "short_answer"
    HINT = "hint"  # after "I don't know": a nudge towards a key point


@dataclass(frozen=True)
class FollowUpRequest:
    """A follow-up the policy decided on; a phraser turns it into one spoken line."""

    question: Question
    reason: FollowUpReason
    key_point: str | None  # what to ask about; None asks for more detail in general
    prepared: str | None  # the question's own follow-up that targets the same thing, if any
    answer_so_far: str
    number: int  # 1 for the question's first follow-up
    variant: int  # a deterministic choice among equivalent wordings


class FollowUpPhraser(Protocol):
    """Words a follow-up. An LLM-backed phraser may vary the wording, never the subject."""

    def phrase(self, request: FollowUpRequest) -> str:
        """One spoken line asking what ``request`` says to ask."""
        ...


MAX_FOLLOW_UP_CHARS: Final = 300


def acceptable_phrasing(text: str) -> str | None:
    """``text`` tidied if it can be spoken as a follow-up, None when it cannot (use a fallback).

    An LLM's wording must be one short line that asks something; anything else is refused.
    """
    line = " ".join(text.split()).strip().strip('"').strip()
    if not line or len(line) > min(MAX_FOLLOW_UP_CHARS, MAX_TEXT) or "?" not in line:
        return None
    return line


_LEADING_VERBS: Final[dict[str, str]] = {
    "mentions": "",
    "mention": "",
    "explains": "",
    "explain": "",
    "describes": "",
    "describe": "",
    "discusses": "",
    "discuss": "",
    "covers": "",
    "considers": "",
    "addresses": "",
    "identifies": "",
    "states": "",
    "gives": "",
    "provides": "",
    "talks about": "",
    "uses": "using ",
    "use": "using ",
    "handles": "handling ",
    "handle": "handling ",
    "compares": "comparing ",
    "chooses": "choosing ",
    "measures": "measuring ",
    "quantifies": "quantifying ",
    "reflects on": "reflecting on ",
}


def key_point_topic(key_point: str) -> str:
    """A key point as a topic to ask about: "Explains trade-offs." -> "trade-offs"."""
    topic = key_point.strip().rstrip(".;:!")
    lowered = topic.lower()
    for verb, replacement in sorted(_LEADING_VERBS.items(), key=lambda item: -len(item[0])):
        if lowered.startswith(verb + " "):
            topic = replacement + topic[len(verb) + 1 :]
            break
    if topic[:1].isupper() and not topic[:2].isupper():
        topic = topic[0].lower() + topic[1:]
    # Key points describe the candidate in the third person; the question addresses them.
    topic = _THIRD_PERSON.sub(lambda m: _SECOND_PERSON[m.group(0).lower()], topic)
    return topic or key_point


_SECOND_PERSON: Final[dict[str, str]] = {
    "they": "you",
    "them": "you",
    "their": "your",
    "theirs": "yours",
    "themselves": "yourself",
    "the candidate": "you",
    "the candidate's": "your",
}
_THIRD_PERSON: Final = re.compile(
    r"\b(the candidate's|the candidate|themselves|theirs|their|them|they)\b", re.IGNORECASE
)


_MISSED: Final[dict[str, tuple[str, ...]]] = {
    "technical": (
        "Could you say more about {topic}?",
        "How would you approach {topic}?",
        "Can you expand on {topic}?",
        "What about {topic} — how does that fit in?",
        "Could you tell me a bit about {topic}?",
    ),
    "behavioral": (
        "Could you say more about {topic}?",
        "Can you tell me a bit more about {topic}?",
        "Could you walk me through {topic}?",
        "Can you expand on {topic}?",
    ),
}
_MORE_DETAIL: Final[tuple[str, ...]] = (
    "Could you walk me through that in a bit more detail?",
    "Can you give me a concrete example?",
    "Could you expand on that a little?",
)
_HINT: Final[tuple[str, ...]] = (
    "No worries — here's a hint: think about {topic}. What comes to mind?",
    "That's okay. As a nudge, consider {topic} — how might that help?",
    "No problem. What if you started from {topic}?",
)
_HINT_NO_TOPIC: Final[tuple[str, ...]] = (
    "No worries. How would you start thinking about it?",
    "That's okay. What's the first thing you would try?",
)


@dataclass(frozen=True)
class RuleBasedPhraser:
    """The default phraser: the question's own follow-up when it fits, else a template."""

    def phrase(self, request: FollowUpRequest) -> str:
        """One spoken line for ``request``; the same request always gets the same line."""
        if request.reason is FollowUpReason.HINT:
            if request.key_point is None:
                return _pick(_HINT_NO_TOPIC, request.variant)
            return _pick(_HINT, request.variant).format(topic=key_point_topic(request.key_point))
        if request.prepared:
            return request.prepared
        if request.key_point is None:
            return _pick(_MORE_DETAIL, request.variant)
        templates = _MISSED[request.question.kind]
        return _pick(templates, request.variant).format(topic=key_point_topic(request.key_point))


def _pick(options: tuple[str, ...], variant: int) -> str:
    return options[variant % len(options)]


_LEVEL: Final[dict[str, str]] = {"junior": "junior", "mid": "mid-level", "senior": "senior"}
_TYPE: Final[dict[str, str]] = {
    "behavioral": "behavioral ",
    "technical": "technical ",
    "mixed": "",
}
_TECH_NAMES: Final[dict[str, str]] = {
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "react": "React",
    "next.js": "Next.js",
    "node.js": "Node.js",
    "vue": "Vue",
    "angular": "Angular",
    "html": "HTML",
    "css": "CSS",
    "python": "Python",
    "django": "Django",
    "fastapi": "FastAPI",
    "flask": "Flask",
    "java": "Java",
    "spring": "Spring",
    "go": "Go",
    "rust": "Rust",
    "c#": "C sharp",
    ".net": "dot net",
    "sql": "SQL",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mongodb": "MongoDB",
    "redis": "Redis",
    "kafka": "Kafka",
    "graphql": "GraphQL",
    "rest": "REST",
    "docker": "Docker",
    "kubernetes": "Kubernetes",
    "aws": "AWS",
}

_ACK: Final[dict[AnswerQuality, tuple[str, ...]]] = {
    AnswerQuality.GOOD: (
        "Great, thank you — that was a thorough answer.",
        "Thanks, that covered it well.",
        "Nice, that's a clear answer.",
    ),
    AnswerQuality.PARTIAL: ("Thanks for that.", "Okay, thank you.", "Got it, thanks."),
    AnswerQuality.STRUGGLING: (
        "That's alright — it's a tricky one.",
        "No problem at all.",
        "That's fine, thanks for giving it a go.",
    ),
    AnswerQuality.NONE: ("Okay.", "Alright."),
}
_SKIP_ACK: Final[tuple[str, ...]] = ("Sure, let's skip that one.", "No problem, we'll move on.")
_NEXT: Final[tuple[str, ...]] = ("Next question.", "Let's move on.", "Here's the next one.")
_LAST: Final[tuple[str, ...]] = ("Here's the last question.", "One final question.")
_SILENCE_PROMPTS: Final[tuple[str, ...]] = (
    "Take your time — would you like me to repeat the question?",
    "No rush. Say 'repeat' to hear the question again, or 'skip' to move on.",
)
_CARRY_ON: Final[tuple[str, ...]] = (
    "Take your time — go on whenever you're ready.",
    "No rush. Carry on when you're ready.",
)
_REPEAT_LEAD: Final[tuple[str, ...]] = ("Sure.", "Of course.", "Certainly.")


def _spoken_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass(frozen=True)
class InterviewerLines:
    """The interviewer's fixed lines, worded from the interview they belong to."""

    interviewer_name: str = "Mocksy"

    def greeting(self, spec: InterviewSpec) -> str:
        """Welcome, what the interview is, and how it works."""
        count = len(spec.questions)
        stack = [_TECH_NAMES.get(t, t) for t in spec.tech_stack[:4]]
        about = f", touching on {_spoken_list(stack)}" if stack else ""
        kind = _TYPE[spec.interview_type]
        questions = f"one {kind}question" if count == 1 else f"{count} {kind}questions"
        if spec.interview_type == "mixed":
            questions += ", both behavioral and technical"
        return (
            f"Hi, I'm {self.interviewer_name}, and I'll be your interviewer today. "
            f"This is a {_LEVEL[spec.level]} {spec.role} interview with {questions}{about}. "
            "Take your time with each answer, and feel free to ask me to repeat a question. "
            "Let's start with the first one."
        )

    def acknowledgement(self, quality: AnswerQuality, variant: int, upcoming: str | None) -> str:
        """A short thank-you, then a pointer to what comes next (``"next"``, ``"last"``)."""
        ack = _ACK[quality][variant % len(_ACK[quality])]
        return f"{ack} {self._transition(upcoming, variant)}".strip()

    def skip_acknowledgement(self, variant: int, upcoming: str | None) -> str:
        """Agreeing to skip a question."""
        ack = _SKIP_ACK[variant % len(_SKIP_ACK)]
        return f"{ack} {self._transition(upcoming, variant)}".strip()

    def repeat(self, line: str, variant: int) -> str:
        """The last question again."""
        return f"{_REPEAT_LEAD[variant % len(_REPEAT_LEAD)]} {line}"

    def silence_prompt(self, number: int) -> str:
        """A gentle nudge after a long silence; ``number`` counts from 0."""
        return _SILENCE_PROMPTS[min(number, len(_SILENCE_PROMPTS) - 1)]

    def carry_on(self, variant: int) -> str:
        """After a long pause in the middle of a sentence: the answer is not over."""
        return _pick(_CARRY_ON, variant)

    def welcome_back(self) -> str:
        """After a dropped connection."""
        return "Welcome back — let's pick up where we left off."

    def closing(self, outcome: Outcome) -> str:
        """Thanks and goodbye."""
        if outcome == "ended_early":
            return (
                "No problem, we'll stop here. Thank you for your time today — you'll get "
                "feedback on the questions you answered shortly."
            )
        return (
            "That's the end of our interview. Thank you for your time — you'll get your "
            "feedback shortly. Good luck!"
        )

    @staticmethod
    def _transition(upcoming: str | None, variant: int) -> str:
        if upcoming == "next":
            return _NEXT[variant % len(_NEXT)]
        if upcoming == "last":
            return _LAST[variant % len(_LAST)]
        return ""
