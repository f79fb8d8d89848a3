"""Kafka messaging: the broker factory, typed publishing and at-least-once consumers."""

from common.messaging.broker import create_broker
from common.messaging.consumer import (
    ConsumerMetrics,
    EventConsumer,
    ProcessedEvents,
    RawRecord,
    RecordPublisher,
    RetryPolicy,
    subscribe,
)
from common.messaging.publisher import EventPublisher, record_headers

__all__ = [
    "ConsumerMetrics",
    "EventConsumer",
    "EventPublisher",
    "ProcessedEvents",
    "RawRecord",
    "RecordPublisher",
    "RetryPolicy",
    "create_broker",
    "record_headers",
    "subscribe",
]
