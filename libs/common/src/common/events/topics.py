"""Kafka topic names: one event type per topic, major version in the name."""

from __future__ import annotations

from typing import Final

INTERVIEW_CREATED: Final = "mocksy.interview.created.v1"
SESSION_COMPLETED: Final = "mocksy.session.completed.v1"
FEEDBACK_READY: Final = "mocksy.feedback.ready.v1"

ALL_TOPICS: Final = (INTERVIEW_CREATED, SESSION_COMPLETED, FEEDBACK_READY)

DLQ_SUFFIX: Final = ".dlq"


def dlq_topic(topic: str) -> str:
    """Name of the dead-letter topic that receives records ``topic``'s consumers gave up on."""
    return f"{topic}{DLQ_SUFFIX}"
