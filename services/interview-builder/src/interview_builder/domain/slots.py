"""The setup slots of an interview, what one utterance says about them, and who extracts that."""

from __future__ import annotations

import math
from typing import Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.events.models import MAX_QUESTIONS
from common.vocabulary import InterviewType, Level, Role, normalize_tech

SlotName = Literal["role", "interview_type", "level", "question_count", "tech_stack"]
SLOT_NAMES: Final[tuple[SlotName, ...]] = (
    "role",
    "interview_type",
    "level",
    "question_count",
    "tech_stack",
)

MIN_QUESTIONS: Final = 1
DEFAULT_QUESTION_COUNT: Final = 5
MAX_TECHNOLOGIES: Final = 15


def question_split(interview_type: InterviewType, question_count: int) -> tuple[int, int]:
    """How many behavioral and technical questions an interview of this type and size has."""
    if interview_type == "behavioral":
        return question_count, 0
    if interview_type == "technical":
        return 0, question_count
    # An odd mixed interview leans technical: candidates mostly practise for the technical round.
    technical = math.ceil(question_count / 2)
    return question_count - technical, technical


def smallest_count_covering(interview_type: InterviewType, technologies: int) -> int:
    """The fewest questions that leave one technical question per technology."""
    if interview_type == "behavioral" or technologies == 0:
        return MIN_QUESTIONS
    if interview_type == "technical":
        return technologies
    return max(MIN_QUESTIONS, 2 * technologies - 1)


def _canonical_names(names: list[str]) -> list[str]:
    canonical: dict[str, None] = {}
    for name in names:
        found = normalize_tech(name)
        if found is None:
            raise ValueError(f"{name!r} is not a technology in the shared vocabulary")
        canonical.setdefault(found, None)
    return list(canonical)


class SlotProblem(BaseModel):
    """Something the candidate asked for that cannot be used as said, and what would work."""

    model_config = ConfigDict(frozen=True)

    slot: SlotName
    value: str = Field(description="What the candidate said, e.g. '50' or 'elixir'.")
    message: str = Field(description="A sentence for the candidate naming the slot and limit.")
    suggestions: list[str] = Field(
        default_factory=list, description="Valid values close to what was said."
    )


class SlotUpdate(BaseModel):
    """What one candidate utterance says about the setup slots; None means 'not mentioned'.

    This is the single output schema of every `SlotExtractor`; its JSON schema doubles as the
    function-calling schema for an LLM-backed extractor.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role | None = None
    interview_type: InterviewType | None = None
    level: Level | None = None
    question_count: int | None = Field(default=None, ge=MIN_QUESTIONS, le=MAX_QUESTIONS)
    tech_stack: list[str] | None = Field(
        default=None,
        max_length=MAX_TECHNOLOGIES,
        description=(
            "Canonical technologies the candidate wants covered, in the order said; "
            "[] with replace_stack=true means 'no particular technology'."
        ),
    )
    tech_removed: list[str] = Field(
        default_factory=list,
        max_length=MAX_TECHNOLOGIES,
        description="Canonical technologies the candidate wants dropped.",
    )
    replace_stack: bool = Field(
        default=False,
        description="True when tech_stack replaces the current stack ('only go', 'make it go').",
    )
    confirmation: bool | None = Field(
        default=None, description="Yes (true) or no (false) to a proposed summary."
    )
    problems: list[SlotProblem] = Field(default_factory=list)

    @field_validator("tech_stack")
    @classmethod
    def _canonical_stack(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _canonical_names(value)

    @field_validator("tech_removed")
    @classmethod
    def _canonical_removed(cls, value: list[str]) -> list[str]:
        return _canonical_names(value)

    def mentioned(self) -> list[SlotName]:
        """The slots this utterance changes."""
        names: list[SlotName] = [
            name
            for name in ("role", "interview_type", "level", "question_count")
            if getattr(self, name) is not None
        ]
        if self.tech_stack is not None or self.tech_removed:
            names.append("tech_stack")
        return names


class SetupSlots(BaseModel):
    """A complete, validated interview setup, ready for generation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    interview_type: InterviewType
    level: Level
    question_count: int = Field(ge=MIN_QUESTIONS, le=MAX_QUESTIONS)
    tech_stack: list[str] = Field(default_factory=list, max_length=MAX_TECHNOLOGIES)

    @field_validator("tech_stack")
    @classmethod
    def _canonical_stack(cls, value: list[str]) -> list[str]:
        return _canonical_names(value)

    @property
    def split(self) -> tuple[int, int]:
        """(behavioral, technical) question counts."""
        return question_split(self.interview_type, self.question_count)


class SlotExtractor(Protocol):
    """Turns one candidate utterance into a `SlotUpdate` (rule-based today, an LLM later)."""

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        """Read `text`; `expecting` names the slot the assistant just asked about, if any."""
        ...
