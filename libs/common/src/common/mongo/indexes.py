"""Declarative indexes, created at startup (idempotent)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo import ASCENDING, IndexModel


@dataclass(frozen=True)
class IndexSpec:
    """One index: key fields with directions, and whether it is unique.

    TTL, partial and sparse indexes are left out on purpose: FerretDB 1.x does not support them.
    """

    keys: tuple[tuple[str, int], ...]
    name: str | None = None
    unique: bool = False

    @classmethod
    def on(cls, *fields: str, name: str | None = None, unique: bool = False) -> IndexSpec:
        """An ascending index on `fields`, e.g. `IndexSpec.on("user_id", "created_at")`.

        Args:
            *fields: Field names (dotted paths allowed), in index order.
            name: Index name; MongoDB derives one from the keys when omitted.
            unique: Reject a second document with the same key values.
        """
        return cls(keys=tuple((field, ASCENDING) for field in fields), name=name, unique=unique)

    def to_index_model(self) -> IndexModel:
        """The PyMongo form of this spec."""
        options: dict[str, object] = {"unique": self.unique} if self.unique else {}
        if self.name is not None:
            options["name"] = self.name
        return IndexModel(list(self.keys), **options)


class IndexableCollection(Protocol):
    """What ``ensure_indexes`` needs of a collection."""

    async def create_indexes(self, indexes: Sequence[IndexModel]) -> list[str]: ...

    async def list_indexes(self) -> AsyncIterator[Mapping[str, Any]]: ...


async def ensure_indexes(collection: IndexableCollection, specs: Sequence[IndexSpec]) -> list[str]:
    """Create the indexes that do not exist yet and return the names of all of them.

    Existing indexes are left alone; an existing index with the same name but other keys or
    options is not checked and needs a human decision.

    Args:
        collection: The collection to index.
        specs: The indexes it should have.
    """
    # FerretDB 1.24 drops the connection when createIndexes names an index that already exists
    # (next to others, or with another number of keys), which broke every restart after the
    # first: only missing indexes are created, one per call.
    existing = {index["name"] async for index in await collection.list_indexes()}
    names: list[str] = []
    for spec in specs:
        model = spec.to_index_model()
        name = str(model.document["name"])
        if name not in existing:
            await collection.create_indexes([model])
        names.append(name)
    return names
