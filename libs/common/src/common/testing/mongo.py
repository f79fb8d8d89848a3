"""An in-memory collection for unit tests of code written against `common.mongo`.

It implements the subset of queries and updates that also works on FerretDB 1.x, with
FerretDB's stricter semantics where the two servers differ: `$pull` removes only elements
equal to the given value (no query matching), and embedded documents compare field by field
in order. Datetimes are cut to milliseconds, as BSON stores them. Anything outside the subset
raises `NotImplementedError`, so a test never passes on behaviour a server would not have.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from bson import ObjectId
from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError
from pymongo.results import DeleteResult, InsertOneResult, UpdateResult

_MISSING: Final = object()
_RANGE_OPERATORS: Final = {"$gt", "$gte", "$lt", "$lte"}


class InMemoryCollection:
    """A `MongoCollection` that keeps its documents in a list."""

    def __init__(self, name: str = "test") -> None:
        """Create an empty collection.

        Args:
            name: The collection name, as reported by `name`.
        """
        self._name = name
        self._documents: list[dict[str, Any]] = []
        self._unique_keys: list[tuple[str, ...]] = [("_id",)]
        self.index_models: list[IndexModel] = []
        # Tests flip this to make every operation fail as if the server went away.
        self.fail_with: Exception | None = None

    @property
    def name(self) -> str:
        """The collection name."""
        return self._name

    @property
    def documents(self) -> list[dict[str, Any]]:
        """Copies of all stored documents, in insertion order."""
        return copy.deepcopy(self._documents)

    async def insert_one(self, document: dict[str, Any]) -> InsertOneResult:
        """Store a copy of `document`, adding an ObjectId `_id` when it has none."""
        self._check_available()
        stored = _stored(document)
        stored.setdefault("_id", ObjectId())
        self._check_unique(stored, ignore=None)
        self._documents.append(stored)
        return InsertOneResult(stored["_id"], acknowledged=True)

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        projection: Mapping[str, Any] | None = None,
        *,
        limit: int = 0,
    ) -> AsyncIterator[dict[str, Any]]:
        """Matching documents (copies), optionally projected to some top-level fields."""
        self._check_available()
        matches = [doc for doc in self._documents if _matches(doc, filter or {})]
        if limit:
            matches = matches[:limit]
        return _iterate([_project(doc, projection) for doc in matches])

    async def find_one(
        self, filter: Mapping[str, Any] | None = None, projection: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The first matching document, or None."""
        async for document in self.find(filter, projection, limit=1):
            return document
        return None

    async def count_documents(self, filter: Mapping[str, Any]) -> int:
        """How many documents match `filter`."""
        self._check_available()
        return sum(1 for doc in self._documents if _matches(doc, filter))

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResult:
        """Apply update operators to the first matching document (or insert one on upsert)."""
        self._check_available()
        for index, document in enumerate(self._documents):
            if _matches(document, filter):
                updated = _apply_update(copy.deepcopy(document), update, inserting=False)
                self._check_unique(updated, ignore=index)
                self._documents[index] = updated
                modified = int(updated != document)
                return UpdateResult({"n": 1, "nModified": modified}, acknowledged=True)
        if not upsert:
            return UpdateResult({"n": 0, "nModified": 0}, acknowledged=True)
        seed = {k: v for k, v in filter.items() if not k.startswith("$") and not _is_ops(v)}
        created = _apply_update(_stored(seed), update, inserting=True)
        created.setdefault("_id", ObjectId())
        self._check_unique(created, ignore=None)
        self._documents.append(created)
        return UpdateResult({"n": 1, "nModified": 0, "upserted": created["_id"]}, acknowledged=True)

    async def delete_one(self, filter: Mapping[str, Any]) -> DeleteResult:
        """Delete the first matching document."""
        self._check_available()
        for index, document in enumerate(self._documents):
            if _matches(document, filter):
                del self._documents[index]
                return DeleteResult({"n": 1}, acknowledged=True)
        return DeleteResult({"n": 0}, acknowledged=True)

    async def create_indexes(self, indexes: Sequence[IndexModel]) -> list[str]:
        """Record the indexes; unique ones are enforced from now on."""
        self._check_available()
        names = []
        for model in indexes:
            spec = model.document
            fields = tuple(spec["key"].keys())
            if spec.get("unique") and fields not in self._unique_keys:
                self._unique_keys.append(fields)
            self.index_models.append(model)
            names.append(spec["name"])
        return names

    async def list_indexes(self) -> AsyncIterator[Mapping[str, Any]]:
        """The indexes created so far and the implicit ``_id_`` one, as a server lists them."""
        self._check_available()
        listed: list[dict[str, Any]] = [{"name": "_id_", "key": {"_id": 1}}]
        listed += [dict(model.document) for model in self.index_models]
        return _iterate(listed)

    def _check_available(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def _check_unique(self, candidate: dict[str, Any], ignore: int | None) -> None:
        for fields in self._unique_keys:
            values = [_get(candidate, field) for field in fields]
            for index, other in enumerate(self._documents):
                if index != ignore and [_get(other, field) for field in fields] == values:
                    raise DuplicateKeyError(
                        f"E11000 duplicate key error collection: {self._name} "
                        f"index: {'_'.join(fields)} dup key: {values}",
                        code=11000,
                    )


async def _iterate(documents: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for document in documents:
        yield document


def _stored(value: Any) -> Any:
    """A deep copy as a BSON round trip would give it back."""
    if isinstance(value, Mapping):
        return {str(key): _stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_stored(item) for item in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return copy.deepcopy(value)


def _get(document: Any, path: str) -> Any:
    """The single value at a dotted path (no array traversal), or _MISSING."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _values(document: Any, parts: Sequence[str]) -> Iterator[Any]:
    """Every value a query path reaches, traversing arrays of documents like MongoDB does."""
    if not parts:
        yield document
        return
    head, rest = parts[0], parts[1:]
    if isinstance(document, dict):
        if head in document:
            yield from _values(document[head], rest)
    elif isinstance(document, list):
        if head.isdigit():
            if int(head) < len(document):
                yield from _values(document[int(head)], rest)
        else:
            for element in document:
                if isinstance(element, dict):
                    yield from _values(element, parts)


def _candidates(values: list[Any]) -> Iterator[Any]:
    # A condition on an array field matches the array itself or any of its elements.
    for value in values:
        yield value
        if isinstance(value, list):
            yield from value


def _equal(left: Any, right: Any) -> bool:
    """BSON equality: embedded documents must have the same fields in the same order."""
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _is_ops(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(key.startswith("$") for key in value)


def _matches(document: dict[str, Any], query: Mapping[str, Any]) -> bool:
    for key, condition in query.items():
        if key == "$and":
            if not all(_matches(document, sub) for sub in condition):
                return False
        elif key == "$or":
            if not any(_matches(document, sub) for sub in condition):
                return False
        elif key.startswith("$"):
            raise NotImplementedError(f"query operator {key} is not supported by the fake")
        elif not _field_matches(list(_values(document, key.split("."))), condition):
            return False
    return True


def _field_matches(values: list[Any], condition: Any) -> bool:
    if not _is_ops(condition):
        if condition is None:
            return not values or any(v is None for v in _candidates(values))
        return any(_equal(v, condition) for v in _candidates(values))
    for op, operand in condition.items():
        if op == "$eq":
            ok = _field_matches(values, operand)
        elif op == "$ne":
            ok = not _field_matches(values, operand)
        elif op == "$exists":
            ok = bool(values) == bool(operand)
        elif op == "$in":
            ok = any(_field_matches(values, option) for option in operand)
        elif op == "$nin":
            ok = not any(_field_matches(values, option) for option in operand)
        elif op in _RANGE_OPERATORS:
            ok = any(_compare(v, op, operand) for v in _candidates(values))
        else:
            raise NotImplementedError(f"query operator {op} is not supported by the fake")
        if not ok:
            return False
    return True


def _compare(value: Any, op: str, operand: Any) -> bool:
    # Range operators only compare values of the same BSON type family (all numbers are one).
    if not _same_family(value, operand):
        return False
    if op == "$gt":
        return bool(value > operand)
    if op == "$gte":
        return bool(value >= operand)
    if op == "$lt":
        return bool(value < operand)
    return bool(value <= operand)


def _same_family(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return True
    return type(left) is type(right)


def _project(document: dict[str, Any], projection: Mapping[str, Any] | None) -> dict[str, Any]:
    if not projection:
        return copy.deepcopy(document)
    included = {field for field, flag in projection.items() if flag and field != "_id"}
    excluded = {field for field, flag in projection.items() if not flag}
    if any("." in field for field in included | excluded):
        raise NotImplementedError("the fake projects top-level fields only")
    if included:
        keep = included | ({"_id"} if projection.get("_id", 1) else set())
        return {k: copy.deepcopy(v) for k, v in document.items() if k in keep}
    return {k: copy.deepcopy(v) for k, v in document.items() if k not in excluded}


def _parent(document: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, leaf = path.split(".")
    current = document
    for part in parents:
        current = current.setdefault(part, {})
        if not isinstance(current, dict):
            raise NotImplementedError(f"the fake cannot update through {path}")
    return current, leaf


def _apply_update(
    document: dict[str, Any], update: Mapping[str, Any], *, inserting: bool
) -> dict[str, Any]:
    if not update or not all(op.startswith("$") for op in update):
        raise ValueError("update only works with $ operators")
    for op, fields in update.items():
        for path, operand in fields.items():
            parent, leaf = _parent(document, path)
            if op == "$set" or (op == "$setOnInsert" and inserting):
                parent[leaf] = _stored(operand)
            elif op == "$setOnInsert":
                continue
            elif op == "$unset":
                parent.pop(leaf, None)
            elif op == "$inc":
                parent[leaf] = parent.get(leaf, 0) + operand
            elif op == "$push":
                each = operand["$each"] if _is_ops(operand) else [operand]
                parent.setdefault(leaf, []).extend(_stored(item) for item in each)
            elif op in ("$pull", "$pullAll"):
                # Exact-value removal for both, as FerretDB does; see the module docstring.
                removed = [_stored(item) for item in (operand if op == "$pullAll" else [operand])]
                if leaf in parent:
                    parent[leaf] = [
                        item for item in parent[leaf] if not any(_equal(item, r) for r in removed)
                    ]
            else:
                raise NotImplementedError(f"update operator {op} is not supported by the fake")
    return document
