"""Kafka consumers of the scoring service."""

from __future__ import annotations

from common.events import SessionCompleted
from common.runtime import EventRuntime
from scoring.service import ScoringService


def register_consumers(runtime: EventRuntime, service: ScoringService) -> None:
    """Score every completed session (consumer group ``mocksy-scoring.session-completed``)."""
    runtime.consume(SessionCompleted, service.session_completed, name="session-completed")
