"""Typed publishing of Mocksy events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from faststream.kafka import KafkaBroker

from common.events.envelope import EventEnvelope


def record_headers(event_type: str, correlation_id: str) -> dict[str, str]:
    """Headers copied from the envelope so tools can route without parsing the value."""
    return {
        "content-type": "application/json",
        "mocksy-event-type": event_type,
        "mocksy-correlation-id": correlation_id,
    }


class EventPublisher:
    """Publishes events as JSON envelopes keyed by user id."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(self, event: EventEnvelope) -> None:
        """Publish one event on its topic and wait for the broker's acknowledgement."""
        await self.publish_record(
            event.topic,
            event.key,
            event.to_record_value(),
            record_headers(event.event_type, event.correlation_id),
        )

    async def publish_record(
        self, topic: str, key: str, value: Mapping[str, Any], headers: Mapping[str, str]
    ) -> None:
        """Publish an already serialised envelope (the outbox relay's path)."""
        await self._broker.publish(
            json.dumps(value, separators=(",", ":")).encode(),
            topic=topic,
            key=key.encode(),
            headers=dict(headers),
            correlation_id=str(value.get("correlation_id") or "") or None,
        )

    async def publish_raw(
        self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]
    ) -> None:
        """Publish bytes as they are (dead letters); satisfies ``RecordPublisher``."""
        await self._broker.publish(value, topic=topic, key=key, headers=headers)
