"""Request and response bodies of the interview-builder API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from common.events import Interview, InterviewType, Level, Question, Role, Source
from common.events.models import MAX_QUESTIONS
from interview_builder.domain.conversation import Asking, SetupDraft
from interview_builder.domain.slots import MAX_TECHNOLOGIES, MIN_QUESTIONS, SlotName, SlotProblem
from interview_builder.service import InterviewRequest, RetakeRequest, SetupTurn
from interview_builder.technologies import UnknownTechnology, canonical_technology

MAX_MESSAGE_CHARS = 1_000


def _question_count(value: int) -> int:
    if not MIN_QUESTIONS <= value <= MAX_QUESTIONS:
        raise PydanticCustomError(
            "question_count_range",
            "question_count must be between {min} and {max}",
            {"min": MIN_QUESTIONS, "max": MAX_QUESTIONS},
        )
    return value


def _message_text(value: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= MAX_MESSAGE_CHARS:
        raise PydanticCustomError(
            "text_length",
            "text must hold between 1 and {max} characters",
            {"max": MAX_MESSAGE_CHARS},
        )
    return text


def _technology(value: str) -> str:
    try:
        return canonical_technology(value)
    except UnknownTechnology as error:
        raise PydanticCustomError(
            "unknown_technology",
            "{message}",
            {"message": str(error), "suggestions": error.suggestions},
        ) from None


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


QuestionCount = Annotated[
    int,
    Field(json_schema_extra={"minimum": MIN_QUESTIONS, "maximum": MAX_QUESTIONS}),
    AfterValidator(_question_count),
]
MessageText = Annotated[
    str, Field(json_schema_extra={"maxLength": MAX_MESSAGE_CHARS}), AfterValidator(_message_text)
]
Technology = Annotated[str, Field(max_length=60), AfterValidator(_technology)]
TechStack = Annotated[
    list[Technology],
    Field(max_length=MAX_TECHNOLOGIES, description="Technologies to cover, e.g. python, kafka."),
    AfterValidator(_unique),
]


class SetupStart(BaseModel):
    """Start a setup chat, optionally with the first message."""

    model_config = ConfigDict(extra="forbid")

    text: MessageText | None = None


class SetupMessage(BaseModel):
    """One candidate message in a setup chat."""

    model_config = ConfigDict(extra="forbid")

    text: MessageText


class SetupReplyOut(BaseModel):
    """The assistant's reply and the setup so far."""

    setup_id: str
    reply: str
    slots: SetupDraft
    missing: list[SlotName]
    asking: Asking | None
    proposed_question_count: int
    problems: list[SlotProblem]
    done: bool = Field(description="The candidate accepted the summary: confirm the setup next.")

    @classmethod
    def of(cls, turn: SetupTurn) -> SetupReplyOut:
        """The body for one step of a chat."""
        reply = turn.reply
        return cls(
            setup_id=turn.setup_id,
            reply=reply.text,
            slots=reply.slots,
            missing=reply.missing,
            asking=reply.asking,
            proposed_question_count=reply.proposed_question_count,
            problems=reply.problems,
            done=reply.done,
        )


class InterviewCreate(BaseModel):
    """An interview asked for directly, without a chat."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    interview_type: InterviewType
    level: Level
    question_count: QuestionCount | None = Field(
        default=None,
        description="1..20; by default 5, raised so every technology gets a question.",
    )
    tech_stack: TechStack = Field(default_factory=list)

    def request(self) -> InterviewRequest:
        """The use case's input."""
        return InterviewRequest(
            role=self.role,
            interview_type=self.interview_type,
            level=self.level,
            tech_stack=list(self.tech_stack),
            question_count=self.question_count,
        )


class RetakeCreate(BaseModel):
    """A retake: the same questions, or new ones with optional changes to the setup."""

    model_config = ConfigDict(extra="forbid")

    questions: Literal["same", "new"] = "same"
    role: Role | None = None
    interview_type: InterviewType | None = None
    level: Level | None = None
    question_count: QuestionCount | None = None
    tech_stack: TechStack | None = None

    def request(self) -> RetakeRequest:
        """The use case's input."""
        return RetakeRequest(
            questions=self.questions,
            role=self.role,
            interview_type=self.interview_type,
            level=self.level,
            question_count=self.question_count,
            tech_stack=None if self.tech_stack is None else list(self.tech_stack),
        )


class InterviewSummary(BaseModel):
    """An interview without its questions, as lists show it."""

    id: str
    role: Role
    interview_type: InterviewType
    level: Level
    tech_stack: list[str]
    question_count: int
    created_at: datetime
    source: Source
    parent_interview_id: str | None

    @classmethod
    def fields_of(cls, interview: Interview) -> dict[str, Any]:
        """The summary fields of `interview`."""
        return {
            "id": interview.id,
            "role": interview.role,
            "interview_type": interview.interview_type,
            "level": interview.level,
            "tech_stack": list(interview.tech_stack),
            "question_count": len(interview.questions),
            "created_at": interview.created_at,
            "source": interview.source,
            "parent_interview_id": interview.parent_interview_id,
        }

    @classmethod
    def of(cls, interview: Interview) -> InterviewSummary:
        """The summary of `interview`."""
        return cls(**cls.fields_of(interview))


class InterviewOut(InterviewSummary):
    """An interview with its questions in the order they are asked."""

    questions: list[Question]

    @classmethod
    def of(cls, interview: Interview) -> InterviewOut:
        """The full view of `interview`."""
        return cls(**cls.fields_of(interview), questions=list(interview.questions))


class InterviewPage(BaseModel):
    """One page of interviews, newest first."""

    items: list[InterviewSummary]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )
