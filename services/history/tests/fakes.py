"""Hand-written fakes for the history tests."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from common.testing.mongo import InMemoryCollection


def _sort_key(value: Any) -> tuple[int, Any]:
    # Missing and null sort before everything else, as in MongoDB.
    return (0, 0) if value is None else (1, value)


class SortingCollection(InMemoryCollection):
    """The common in-memory collection plus ``find(sort=...)``, which the adapter uses."""

    def find(  # type: ignore[override]
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
    ) -> AsyncIterator[dict[str, Any]]:
        if not sort:
            return super().find(filter, projection, limit=limit)
        unsorted = super().find(filter, projection)

        async def ordered() -> AsyncIterator[dict[str, Any]]:
            documents = [doc async for doc in unsorted]
            for field, direction in reversed(sort):
                documents.sort(key=lambda d: _sort_key(d.get(field)), reverse=direction < 0)
            for document in documents[:limit] if limit else documents:
                yield document

        return ordered()

    async def list_indexes(self) -> AsyncIterator[Mapping[str, Any]]:
        async def indexes() -> AsyncIterator[Mapping[str, Any]]:
            yield {"name": "_id_", "key": {"_id": 1}}
            for model in self.index_models:
                yield model.document

        return indexes()


class Database(dict[str, SortingCollection]):
    """Collections created on first use, like a MongoDB database."""

    def __missing__(self, name: str) -> SortingCollection:
        self[name] = SortingCollection(name)
        return self[name]


class WholeDocumentRewrites(SortingCollection):
    """Updates as FerretDB makes them: read the whole document, then write all of it back a
    moment later, so an update that lands in between is lost."""

    async def update_one(  # type: ignore[override]
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> Any:
        stale = [copy.deepcopy(d) for d in self._documents if d.get("_id") == filter.get("_id")]
        await asyncio.sleep(0.01)
        if stale:
            self._documents = [d for d in self._documents if d.get("_id") != filter.get("_id")]
            self._documents.append(stale[0])
        return await super().update_one(filter, update, upsert)
