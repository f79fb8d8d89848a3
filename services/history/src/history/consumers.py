"""Kafka consumers that build the history read models."""

from __future__ import annotations

from typing import Final

from common.events import EventEnvelope, FeedbackReady, InterviewCreated, SessionCompleted
from common.runtime import EventRuntime
from history.service import HistoryProjector

# Consumer name (its group is ``mocksy-<service>.<name>``) and the event it reads.
CONSUMERS: Final[tuple[tuple[str, type[EventEnvelope]], ...]] = (
    ("interview-created", InterviewCreated),
    ("session-completed", SessionCompleted),
    ("feedback-ready", FeedbackReady),
)


def register_consumers(runtime: EventRuntime, projector: HistoryProjector) -> None:
    """Subscribe the projector to the three events history is built from."""
    runtime.consume(InterviewCreated, projector.interview_created, name=CONSUMERS[0][0])
    runtime.consume(SessionCompleted, projector.session_completed, name=CONSUMERS[1][0])
    runtime.consume(FeedbackReady, projector.feedback_ready, name=CONSUMERS[2][0])
