"""Event payloads that cross service boundaries, exactly as DESIGN.md names their fields."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from common.events import topics
from common.events.envelope import EventEnvelope, EventModel
from common.vocabulary import InterviewType, Level, QuestionKind, Role, normalize_tech

# Length limits shared by producers and consumers; bigger values are refused at the edge.
MAX_ID = 64
MAX_SHORT_TEXT = 200
MAX_TEXT = 2_000
MAX_TURN_TEXT = 10_000
MAX_QUESTIONS = 20
MAX_TURNS = 2_000

Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_TEXT)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Score = Annotated[int, Field(ge=0, le=100)]

Source = Literal["setup_chat", "api", "retake", "targeted"]
Outcome = Literal["completed", "ended_early", "failed"]
Speaker = Literal["interviewer", "candidate"]
TurnKind = Literal[
    "greeting",
    "question",
    "follow_up",
    "answer",
    "backchannel",
    "acknowledgement",
    "closing",
    "other",
]
Style = Literal["warm", "neutral", "encouraging", "empathetic", "probing"]
Category = Literal[
    "communication", "technical_knowledge", "problem_solving", "cultural_fit", "confidence"
]
CATEGORIES: tuple[Category, ...] = (
    "communication",
    "technical_knowledge",
    "problem_solving",
    "cultural_fit",
    "confidence",
)


def _canonical_stack(items: list[str]) -> list[str]:
    # Known aliases become canonical names; names outside today's vocabulary pass through
    # lower-cased so an older consumer never rejects an event for a technology added later.
    seen: dict[str, None] = {}
    for item in items:
        name = normalize_tech(item) or item.strip().lower()
        if name:
            seen.setdefault(name, None)
    return list(seen)


class Question(EventModel):
    """One interview question and what a strong answer covers."""

    question_id: Id
    text: Text = Field(min_length=1)
    kind: QuestionKind
    topic: ShortText
    key_points: list[ShortText] = Field(default_factory=list, max_length=12)
    follow_ups: list[Text] = Field(default_factory=list, max_length=12)


class InterviewSpec(EventModel):
    """What the interview is about: the part of an interview a session needs to run it."""

    role: Role
    interview_type: InterviewType
    level: Level
    tech_stack: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=15
    )
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @field_validator("tech_stack")
    @classmethod
    def _normalize_stack(cls, value: list[str]) -> list[str]:
        return _canonical_stack(value)


class Interview(InterviewSpec):
    """An interview as the builder created it (``InterviewCreated.data``)."""

    id: Id
    user_id: Id
    created_at: AwareDatetime
    source: Source
    parent_interview_id: Id | None = None


class Turn(EventModel):
    """One line of the conversation, or a back-channel, with its timing."""

    speaker: Speaker
    text: Annotated[str, StringConstraints(max_length=MAX_TURN_TEXT)]
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    question_id: Id | None = None
    kind: TurnKind
    stt_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    interrupted: bool = False
    style: Style | None = Field(
        default=None, description="Tone the interviewer used for this line (interviewer only)."
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end_ms < self.start_ms:
            raise ValueError("end_ms must not be before start_ms")
        return self


class Transcript(EventModel):
    """A finished session's transcript (``SessionCompleted.data``)."""

    session_id: Id
    interview_id: Id
    user_id: Id
    started_at: AwareDatetime
    ended_at: AwareDatetime
    outcome: Outcome
    interview: InterviewSpec
    turns: list[Turn] = Field(default_factory=list, max_length=MAX_TURNS)


class CategoryScore(EventModel):
    """A category's score with the reasoning and the candidate's words behind it."""

    score: Score
    rationale: Text
    evidence: list[Text] = Field(default_factory=list, max_length=10)


class QuestionResult(EventModel):
    """How one question went."""

    question_id: Id
    score: Score
    covered_points: list[ShortText] = Field(default_factory=list)
    missed_points: list[ShortText] = Field(default_factory=list)
    summary: Text


class SpeechMetrics(EventModel):
    """Delivery habits measured from the turns."""

    words_per_minute: float = Field(ge=0)
    filler_words_per_100: float = Field(ge=0)
    hedges_per_100: float = Field(ge=0)
    mean_answer_words: float = Field(ge=0)
    mean_response_delay_ms: float | None = Field(default=None, ge=0)
    candidate_talk_ratio: float = Field(ge=0, le=1)


class ScorerInfo(EventModel):
    """Which engine produced the feedback."""

    engine: ShortText
    version: ShortText


class Feedback(EventModel):
    """Feedback on one session (``FeedbackReady.data``).

    A session too thin to grade has ``gradable=False``, a warning, no overall score and no
    category scores: Mocksy never makes a score up.
    """

    feedback_id: Id
    session_id: Id
    interview_id: Id
    user_id: Id
    created_at: AwareDatetime
    gradable: bool
    warnings: list[Text] = Field(default_factory=list)
    overall_score: Score | None = None
    categories: dict[Category, CategoryScore] = Field(default_factory=dict)
    strengths: list[Text] = Field(default_factory=list)
    improvements: list[Text] = Field(default_factory=list)
    final_assessment: Text = ""
    questions: list[QuestionResult] = Field(default_factory=list)
    speech: SpeechMetrics | None = None
    scorer: ScorerInfo

    @model_validator(mode="after")
    def _scores_only_when_gradable(self) -> Self:
        if self.gradable:
            missing = [c for c in CATEGORIES if c not in self.categories]
            if self.overall_score is None or missing:
                raise ValueError(
                    "a gradable feedback needs overall_score and all five categories"
                    + (f" (missing: {', '.join(missing)})" if missing else "")
                )
        elif self.overall_score is not None or self.categories:
            raise ValueError("a feedback with gradable=false carries no scores")
        elif not self.warnings:
            raise ValueError("a feedback with gradable=false must say why in warnings")
        return self


class InterviewCreated(EventEnvelope):
    """An interview was created (by setup chat, API, retake or a targeted practice)."""

    topic: ClassVar[str] = topics.INTERVIEW_CREATED
    event_type: Literal["InterviewCreated"] = "InterviewCreated"
    event_version: Literal[1] = 1
    data: Interview


class SessionCompleted(EventEnvelope):
    """A voice session ended; carries the whole transcript."""

    topic: ClassVar[str] = topics.SESSION_COMPLETED
    event_type: Literal["SessionCompleted"] = "SessionCompleted"
    event_version: Literal[1] = 1
    data: Transcript


class FeedbackReady(EventEnvelope):
    """Feedback on a session is ready."""

    topic: ClassVar[str] = topics.FEEDBACK_READY
    event_type: Literal["FeedbackReady"] = "FeedbackReady"
    event_version: Literal[1] = 1
    data: Feedback


EVENT_TYPES: tuple[type[EventEnvelope], ...] = (InterviewCreated, SessionCompleted, FeedbackReady)
EVENT_BY_TOPIC: dict[str, type[EventEnvelope]] = {e.topic: e for e in EVENT_TYPES}
