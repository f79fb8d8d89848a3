"""Declared indexes become PyMongo index models and are created once."""

from __future__ import annotations

import pytest
from pymongo.errors import DuplicateKeyError

from common.mongo import PROCESSED_EVENTS_INDEXES, IndexSpec, ensure_indexes
from common.testing.mongo import InMemoryCollection


def test_spec_becomes_an_index_model() -> None:
    spec = IndexSpec.on("user_id", "created_at", name="by_user", unique=True)

    document = spec.to_index_model().document

    assert list(document["key"].items()) == [("user_id", 1), ("created_at", 1)]
    assert document["name"] == "by_user"
    assert document["unique"] is True


def test_descending_keys_and_default_names() -> None:
    document = IndexSpec(keys=(("user_id", 1), ("created_at", -1))).to_index_model().document

    assert document["name"] == "user_id_1_created_at_-1"
    assert "unique" not in document


async def test_ensure_indexes_returns_their_names_and_enforces_uniqueness() -> None:
    collection = InMemoryCollection("processed_events")

    names = await ensure_indexes(collection, PROCESSED_EVENTS_INDEXES)
    await collection.insert_one({"event_id": "e1", "consumer": "history"})

    assert names == ["event_id_consumer_unique"]
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"event_id": "e1", "consumer": "history"})


async def test_nothing_to_ensure() -> None:
    assert await ensure_indexes(InMemoryCollection(), []) == []
