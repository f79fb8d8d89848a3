"""Kafka consumers of the voice agent: its own copy of every interview."""

from __future__ import annotations

from common.events import InterviewCreated
from common.runtime import EventRuntime
from voice_agent.service import InterviewCatalog


def register_consumers(runtime: EventRuntime, catalog: InterviewCatalog) -> None:
    """Learn interviews from ``InterviewCreated`` (group mocksy-voice-agent.interview-created)."""
    runtime.consume(InterviewCreated, catalog.interview_created, name="interview-created")
