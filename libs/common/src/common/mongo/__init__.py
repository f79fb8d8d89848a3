"""MongoDB access shared by the services: client lifecycle, indexes, idempotency, outbox.

Everything here works on MongoDB 7 and on FerretDB 1.x (SQLite backend): single-document
writes only, no transactions, no change streams.
"""

from common.mongo.client import MongoClient, close_client, create_client, open_client, ping
from common.mongo.collection import MongoCollection
from common.mongo.indexes import IndexSpec, ensure_indexes
from common.mongo.outbox import (
    OUTBOX_FIELD,
    OUTBOX_INDEX,
    OutboxEntry,
    OutboxEvent,
    OutboxRelay,
    Publish,
    RelayPass,
    outbox_entry,
    push_to_outbox,
    with_outbox,
)
from common.mongo.processed_events import PROCESSED_EVENTS_INDEXES, ProcessedEvents

__all__ = [
    "OUTBOX_FIELD",
    "OUTBOX_INDEX",
    "PROCESSED_EVENTS_INDEXES",
    "IndexSpec",
    "MongoClient",
    "MongoCollection",
    "OutboxEntry",
    "OutboxEvent",
    "OutboxRelay",
    "ProcessedEvents",
    "Publish",
    "RelayPass",
    "close_client",
    "create_client",
    "ensure_indexes",
    "open_client",
    "outbox_entry",
    "ping",
    "push_to_outbox",
    "with_outbox",
]
