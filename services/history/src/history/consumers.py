"""Kafka consumers that build the history read models."""

from __future__ import annotations

from common.events import FeedbackReady, InterviewCreated, SessionCompleted
from common.runtime import EventRuntime
from history.service import HistoryProjector


def register_consumers(runtime: EventRuntime, projector: HistoryProjector) -> None:
    """Subscribe the projector to the three events history is built from."""
    runtime.consume(InterviewCreated, projector.interview_created, name="interview-created")
    runtime.consume(SessionCompleted, projector.session_completed, name="session-completed")
    runtime.consume(FeedbackReady, projector.feedback_ready, name="feedback-ready")
