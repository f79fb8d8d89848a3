"""Walks a service's OpenAPI document for the string fields a client can send."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

JsonSchema = Mapping[str, Any]


def _resolve(document: JsonSchema, schema: JsonSchema) -> JsonSchema:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return _resolve(document, node)


def _strings(
    document: JsonSchema, schema: JsonSchema, where: str, seen: frozenset[str]
) -> Iterator[tuple[str, JsonSchema]]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:  # a recursive model: its fields were walked on the way in
            return
        seen = seen | {ref}
    schema = _resolve(document, schema)
    for combinator in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(combinator, []):
            yield from _strings(document, option, where, seen)
    if schema.get("type") == "string":
        yield where, schema
    for name, field in schema.get("properties", {}).items():
        yield from _strings(document, field, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), Mapping):
        yield from _strings(document, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield from _strings(document, schema["additionalProperties"], f"{where}{{}}", seen)


def request_strings(document: JsonSchema) -> Iterator[tuple[str, JsonSchema]]:
    """Every string a request can carry (body fields and parameters), named by where it sits."""
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, Mapping):
                continue
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                parameter = _resolve(document, parameter)
                where = f"{label} {parameter['in']} {parameter['name']}"
                yield from _strings(document, parameter.get("schema", {}), where, frozenset())
            body = operation.get("requestBody")
            if body is None:
                continue
            for media, content in _resolve(document, body).get("content", {}).items():
                schema = content.get("schema", {})
                yield from _strings(document, schema, f"{label} body({media})", frozenset())


# Their grammar bounds them: the parser refuses anything longer than a few dozen characters.
SELF_BOUNDED_FORMATS = frozenset({"date-time", "date", "time", "uuid"})


def unbounded_strings(document: JsonSchema) -> list[str]:
    """Request strings with no ``maxLength``; enums, constants and timestamps bound themselves."""
    return sorted(
        {
            where
            for where, schema in request_strings(document)
            if "maxLength" not in schema
            and "enum" not in schema
            and "const" not in schema
            and schema.get("format") not in SELF_BOUNDED_FORMATS
        }
    )
