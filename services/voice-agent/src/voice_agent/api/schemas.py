"""Request and response bodies of the session routes."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from common.events import QuestionKind, Turn
from voice_agent.repository import SessionRecord, SessionState
from voice_agent.service import SessionGrant


class SessionJoin(BaseModel):
    """How to join the interview room: connect a WebRTC client to ``livekit_url`` with ``token``."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    livekit_url: str
    token: str = Field(description="LiveKit join token for this room only; microphone and data.")
    room: str
    token_expires_at: AwareDatetime

    @classmethod
    def of(cls, grant: SessionGrant) -> SessionJoin:
        """The response for a grant."""
        return cls(
            session_id=grant.session_id,
            livekit_url=grant.livekit_url,
            token=grant.token,
            room=grant.room,
            token_expires_at=grant.token_expires_at,
        )


class CurrentQuestion(BaseModel):
    """The question the interview is on (what a strong answer covers stays private)."""

    model_config = ConfigDict(frozen=True)

    question_id: str
    number: int = Field(description="1-based position in the interview.")
    text: str
    kind: QuestionKind
    topic: str


class SessionView(BaseModel):
    """A session as its candidate sees it: state, the question it is on, the turns so far."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    interview_id: str
    state: SessionState
    created_at: AwareDatetime
    started_at: AwareDatetime | None
    ended_at: AwareDatetime | None
    question_count: int
    current_question: CurrentQuestion | None
    turns: list[Turn]

    @classmethod
    def of(cls, record: SessionRecord) -> SessionView:
        """The view of a stored session."""
        current = None
        for number, question in enumerate(record.interview.questions, start=1):
            if question.question_id == record.current_question_id:
                current = CurrentQuestion(
                    question_id=question.question_id,
                    number=number,
                    text=question.text,
                    kind=question.kind,
                    topic=question.topic,
                )
                break
        return cls(
            session_id=record.session_id,
            interview_id=record.interview_id,
            state=record.state,
            created_at=record.created_at,
            started_at=record.started_at,
            ended_at=record.ended_at,
            question_count=len(record.interview.questions),
            current_question=current,
            turns=list(record.turns),
        )
