"""Hand-written fakes for messaging unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class InMemoryProcessedEvents:
    """``ProcessedEvents`` kept in a set."""

    def __init__(self) -> None:
        self.handled: set[tuple[str, str]] = set()

    async def seen(self, event_id: str, consumer: str) -> bool:
        """True when ``consumer`` already handled ``event_id``."""
        return (event_id, consumer) in self.handled

    async def mark(self, event_id: str, consumer: str) -> None:
        """Remember that ``consumer`` handled ``event_id``."""
        self.handled.add((event_id, consumer))


@dataclass
class SentRecord:
    """One record a fake publisher was asked to send."""

    value: bytes
    topic: str
    key: bytes | None
    headers: dict[str, str]


@dataclass
class RecordingPublisher:
    """A ``RecordPublisher`` that keeps what it was given and can be told to fail."""

    sent: list[SentRecord] = field(default_factory=list)
    failures_left: int = 0

    async def __call__(
        self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]
    ) -> Any:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("broker unavailable (fake)")
        self.sent.append(SentRecord(value, topic, key, dict(headers)))
