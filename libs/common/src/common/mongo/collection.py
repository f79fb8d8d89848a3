"""The slice of a Mongo collection that `common.mongo` relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from pymongo import IndexModel
from pymongo.results import DeleteResult, InsertOneResult, UpdateResult


class MongoCollection(Protocol):
    """What the helpers here need from a collection.

    PyMongo's `AsyncCollection[dict[str, Any]]` satisfies it, and so does the in-memory fake in
    `common.testing.mongo`, which is why the helpers are typed against this and not the class.
    """

    @property
    def name(self) -> str: ...

    async def insert_one(self, document: dict[str, Any]) -> InsertOneResult: ...

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResult: ...

    async def delete_one(self, filter: Mapping[str, Any]) -> DeleteResult: ...

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        limit: int = 0,
    ) -> AsyncIterator[dict[str, Any]]: ...

    async def create_indexes(self, indexes: Sequence[IndexModel]) -> list[str]: ...

    async def list_indexes(self) -> AsyncIterator[Mapping[str, Any]]: ...
