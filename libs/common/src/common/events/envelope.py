"""The envelope every Mocksy event travels in.

Mocksy carries events as a JSON envelope in the Kafka record value (not CloudEvents headers):
the whole event is one self-describing document that integrations can read with any JSON
library. The record key is the user id, which keeps one user's events ordered in a partition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def new_correlation_id() -> str:
    """A fresh correlation id for a flow that starts here."""
    return uuid4().hex


class EventModel(BaseModel):
    """Base of every model inside an event: immutable, tolerant of fields added later."""

    # Consumers ignore unknown fields so producers may add optional fields within a major version.
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventEnvelope(EventModel):
    """Fields shared by all events; subclasses fix ``event_type``, ``topic`` and ``data``."""

    topic: ClassVar[str]

    event_id: UUID = Field(default_factory=uuid4, description="Idempotency key of the event.")
    event_type: str
    event_version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    correlation_id: str = Field(default_factory=new_correlation_id, min_length=1, max_length=128)
    data: Any

    @property
    def key(self) -> str:
        """Kafka record key: the user the event belongs to."""
        user_id: str = self.data.user_id
        return user_id

    def to_record_value(self) -> dict[str, Any]:
        """The JSON-ready dict that goes into the Kafka record value."""
        return self.model_dump(mode="json")
