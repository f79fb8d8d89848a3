"""In-memory stand-ins for tests and benchmarks of the interview-builder (no servers needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.results import DeleteResult

from common.testing.mongo import InMemoryCollection


def _sort_key(value: Any) -> tuple[int, Any]:
    # Missing and null sort before everything else, as in MongoDB.
    return (0, 0) if value is None else (1, value)


def _project(document: dict[str, Any], projection: Mapping[str, Any] | None) -> dict[str, Any]:
    # Top-level fields only, like the common fake.
    if not projection:
        return document
    if any("." in name for name in projection):
        raise NotImplementedError("the fake projects top-level fields only")
    included = {name for name, flag in projection.items() if flag}
    if included:
        keep = included | ({"_id"} if projection.get("_id", 1) else set())
        return {name: value for name, value in document.items() if name in keep}
    return {name: value for name, value in document.items() if projection.get(name, 1)}


class SortingCollection(InMemoryCollection):
    """The common in-memory collection plus `find(sort=...)` and `delete_many`."""

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
    ) -> AsyncIterator[dict[str, Any]]:
        """Matching documents, sorted by `sort` before `limit` and `projection` apply."""
        if not sort:
            return super().find(filter, projection, limit=limit)
        matching = super().find(filter)

        async def ordered() -> AsyncIterator[dict[str, Any]]:
            documents = [document async for document in matching]
            for field, direction in reversed(sort):
                documents.sort(key=lambda d: _sort_key(d.get(field)), reverse=direction < 0)
            for document in documents[:limit] if limit else documents:
                yield _project(document, projection)

        return ordered()

    async def delete_many(self, filter: Mapping[str, Any]) -> DeleteResult:
        """Delete every matching document."""
        deleted = 0
        while (await self.delete_one(filter)).deleted_count:
            deleted += 1
        return DeleteResult({"n": deleted}, acknowledged=True)


class InMemoryDatabase(dict[str, SortingCollection]):
    """Collections created on first use, like a MongoDB database."""

    def __missing__(self, name: str) -> SortingCollection:
        self[name] = SortingCollection(name)
        return self[name]


class MovableClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self.now += delta
