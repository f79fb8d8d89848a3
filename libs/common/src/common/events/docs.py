"""Write (or check) the JSON Schemas of every event and the AsyncAPI document of all topics.

Usage: ``mocksy-events write [DIR]`` regenerates ``docs/events/``; ``mocksy-events check [DIR]``
exits 1 and names the stale files when the checked-in documents differ from the code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from common.events.models import EVENT_TYPES
from common.events.topics import dlq_topic

DEFAULT_DIR = Path("docs/events")


def event_schema(event: type[Any]) -> dict[str, Any]:
    """JSON Schema of one event's envelope, as the record value carries it."""
    schema: dict[str, Any] = event.model_json_schema(mode="serialization")
    schema["$id"] = f"urn:mocksy:event:{event.topic}"
    schema["title"] = event.__name__
    schema["description"] = (event.__doc__ or "").strip()
    return schema


def _dlq_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "title": "DeadLetter",
        "description": "A record a consumer gave up on: the original value and key, the error "
        "and how many attempts were made. Headers carry the same facts as x-mocksy-* strings.",
        "properties": {
            "original_topic": {"type": "string"},
            "original_partition": {"type": "integer"},
            "original_offset": {"type": "integer"},
            "original_key": {"type": ["string", "null"]},
            "original_value": {"type": "string", "description": "Original value, UTF-8 text"},
            "error": {"type": "string"},
            "attempts": {"type": "integer"},
            "consumer_group": {"type": "string"},
            "failed_at": {"type": "string", "format": "date-time"},
        },
        "required": ["original_topic", "original_value", "error", "attempts"],
    }


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document describing every Mocksy topic and its dead-letter topic."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event in EVENT_TYPES:
        name = event.__name__
        messages[name] = {
            "name": name,
            "title": name,
            "summary": (event.__doc__ or "").strip(),
            "contentType": "application/json",
            "payload": {"$ref": f"./{event.topic}.schema.json"},
            "bindings": {"kafka": {"key": {"type": "string", "description": "user_id"}}},
        }
        channels[name] = {
            "address": event.topic,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"receive{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"Subscribe to {event.topic} with your own consumer group.",
        }
        channels[f"{name}DeadLetter"] = {
            "address": dlq_topic(event.topic),
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "contentType": "application/json",
        "payload": _dlq_schema(),
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Mocksy events",
            "version": "1.0.0",
            "description": (
                "Kafka topics of Mocksy. Each record value is a JSON envelope (event_id, "
                "event_type, event_version, occurred_at, correlation_id, data); the key is the "
                "user_id. Delivery is at-least-once: deduplicate on event_id. Within a .v1 topic "
                "only optional fields are added; ignore fields you do not know."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render() -> dict[str, str]:
    """Every generated file name mapped to its exact text."""
    files = {f"{event.topic}.schema.json": event_schema(event) for event in EVENT_TYPES} | {
        "asyncapi.json": asyncapi_document()
    }
    return {name: json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in files.items()}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mocksy-events``."""
    parser = argparse.ArgumentParser(prog="mocksy-events", description=__doc__)
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    directory: Path = args.directory
    expected = render()
    if args.command == "write":
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in expected.items():
            (directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {len(expected)} files to {directory}")
        return 0
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]
    if stale:
        print(
            f"stale event documents in {directory}: {', '.join(sorted(stale))}\n"
            "run: uv run mocksy-events write",
            file=sys.stderr,
        )
        return 1
    print(f"event documents in {directory} are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
