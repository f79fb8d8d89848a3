"""The in-memory collection behaves like the servers on the subset common.mongo uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.testing.mongo import InMemoryCollection


async def all_of(collection: InMemoryCollection, query: dict[str, object]) -> list[object]:
    return [doc["_id"] async for doc in collection.find(query)]


@pytest.fixture
async def interviews() -> InMemoryCollection:
    collection = InMemoryCollection("interviews")
    await collection.insert_one({"_id": 1, "user_id": "u1", "outbox": [{"event_id": "e1"}]})
    await collection.insert_one({"_id": 2, "user_id": "u1", "outbox": []})
    await collection.insert_one({"_id": 3, "user_id": "u2", "score": 70})
    return collection


async def test_queries_reach_into_arrays_of_documents(interviews: InMemoryCollection) -> None:
    assert await all_of(interviews, {"outbox.event_id": {"$gt": ""}}) == [1]
    assert await all_of(interviews, {"outbox.0": {"$exists": True}}) == [1]
    assert await all_of(interviews, {"outbox.event_id": "e1"}) == [1]


async def test_equality_ranges_and_null(interviews: InMemoryCollection) -> None:
    assert await all_of(interviews, {"user_id": "u1"}) == [1, 2]
    assert await all_of(interviews, {"score": {"$gte": 70, "$lt": 71}}) == [3]
    assert await all_of(interviews, {"score": {"$gt": "50"}}) == []
    assert await all_of(interviews, {"score": None}) == [1, 2]
    assert await all_of(interviews, {"$or": [{"_id": 1}, {"score": 70}]}) == [1, 3]


async def test_pull_removes_equal_values_only_like_ferretdb(
    interviews: InMemoryCollection,
) -> None:
    await interviews.update_one({"_id": 1}, {"$pull": {"outbox": {"event_id": "other"}}})
    assert interviews.documents[0]["outbox"] == [{"event_id": "e1"}]

    await interviews.update_one({"_id": 1}, {"$pullAll": {"outbox": [{"event_id": "e1"}]}})
    assert interviews.documents[0]["outbox"] == []


async def test_embedded_documents_compare_in_field_order() -> None:
    collection = InMemoryCollection()
    await collection.insert_one({"_id": 1, "entry": {"a": 1, "b": 2}})

    assert await all_of(collection, {"entry": {"b": 2, "a": 1}}) == []
    assert await all_of(collection, {"entry": {"a": 1, "b": 2}}) == [1]


async def test_datetimes_are_stored_with_millisecond_precision() -> None:
    collection = InMemoryCollection()
    written = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)

    await collection.insert_one({"_id": 1, "at": written})

    assert collection.documents[0]["at"] == written.replace(microsecond=123000)


async def test_stored_documents_are_copies() -> None:
    collection = InMemoryCollection()
    document: dict[str, object] = {"_id": 1, "tags": ["a"]}
    await collection.insert_one(document)

    document["tags"] = ["changed"]
    found = await collection.find_one({"_id": 1})
    assert found is not None
    found["tags"] = ["changed too"]

    assert collection.documents[0]["tags"] == ["a"]


async def test_upsert_seeds_the_document_from_the_filter() -> None:
    collection = InMemoryCollection()

    result = await collection.update_one(
        {"event_id": "e1", "consumer": "history"}, {"$set": {"status": "done"}}, upsert=True
    )

    assert result.upserted_id is not None
    [document] = collection.documents
    assert (document["event_id"], document["consumer"], document["status"]) == (
        "e1",
        "history",
        "done",
    )


async def test_unsupported_operators_fail_loudly() -> None:
    collection = InMemoryCollection()
    await collection.insert_one({"_id": 1})

    with pytest.raises(NotImplementedError, match=r"\$where"):
        collection.find({"$where": "true"})
    with pytest.raises(NotImplementedError, match=r"\$addToSet"):
        await collection.update_one({"_id": 1}, {"$addToSet": {"tags": "x"}})
