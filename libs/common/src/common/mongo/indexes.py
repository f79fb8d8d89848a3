"""Declarative indexes, created at startup (idempotent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pymongo import ASCENDING, IndexModel

from common.mongo.collection import MongoCollection


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


async def ensure_indexes(collection: MongoCollection, specs: Sequence[IndexSpec]) -> list[str]:
    """Create the indexes that do not exist yet and return the names of all of them.

    Existing identical indexes are left alone; an existing index with the same name but other
    keys or options makes the server raise `OperationFailure`, which needs a human decision.

    Args:
        collection: The collection to index.
        specs: The indexes it should have.
    """
    names: list[str] = []
    # One index per call: FerretDB 1.24 drops the connection when a single createIndexes names
    # several indexes that already exist, which breaks every restart after the first.
    for spec in specs:
        names.extend(await collection.create_indexes([spec.to_index_model()]))
    return names
