"""A broker stand-in for the outbox relay: records what it is asked to publish."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PublishedRecord:
    """One record the fake broker accepted."""

    topic: str
    key: str
    value: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakePublisher:
    """A `Publish` callable that records records and can be told to fail like a broker outage."""

    def __init__(self) -> None:
        """Start accepting everything."""
        self.published: list[PublishedRecord] = []
        self.attempts = 0
        self._failure: Exception | None = None
        self._failures_left: int | None = None
        self._accepted = asyncio.Event()
        self._released = asyncio.Event()
        self._released.set()
        self.abandoned = 0
        self.attempted = asyncio.Event()

    async def wait_for(self, count: int) -> list[PublishedRecord]:
        """Wait until `count` records were accepted; bound it with `asyncio.timeout`.

        Args:
            count: How many records to wait for.
        """
        while len(self.published) < count:
            self._accepted.clear()
            await self._accepted.wait()
        return self.published[:count]

    def fail(self, error: Exception | None = None, *, times: int | None = None) -> None:
        """Reject the next `times` publishes (all of them when None) with `error`.

        Args:
            error: What to raise; a ConnectionError naming the broker when omitted.
            times: How many publishes fail before it recovers by itself.
        """
        self._failure = error or ConnectionError("broker unavailable")
        self._failures_left = times

    def recover(self) -> None:
        """Accept records again."""
        self._failure = None
        self._failures_left = None

    def hold(self) -> None:
        """Neither accept nor refuse records until `release()`, like a producer that cannot
        reach Kafka and retries each record until it is back."""
        self._released.clear()

    def release(self) -> None:
        """Accept the held records and everything after them."""
        self._released.set()

    async def __call__(
        self, topic: str, key: str, value: dict[str, Any], headers: dict[str, str]
    ) -> None:
        """Accept (record) or reject one record."""
        self.attempts += 1
        self.attempted.set()
        if self._failure is not None:
            failure = self._failure
            if self._failures_left is not None:
                self._failures_left -= 1
                if self._failures_left <= 0:
                    self.recover()
            raise failure
        try:
            await self._released.wait()
        except asyncio.CancelledError:
            self.abandoned += 1
            raise
        self.published.append(PublishedRecord(topic, key, value, dict(headers)))
        self._accepted.set()
