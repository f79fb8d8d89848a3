"""A minimal integration: print every Mocksy feedback report as it becomes ready.

Needs only aiokafka (pip install aiokafka). Run it next to Mocksy:

    python docs/examples/feedback_consumer.py --bootstrap 127.0.0.1:19092 --group my-integration

It reads `mocksy.feedback.ready.v1` in its own consumer group, skips events it has already
handled (delivery is at-least-once), ignores fields it does not know, and commits an offset only
after the event was handled, so a crash redelivers instead of losing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer

TOPIC = "mocksy.feedback.ready.v1"


def summary(event: dict[str, Any]) -> str:
    """One line about a FeedbackReady event."""
    data = event["data"]
    if not data.get("gradable"):
        return f"session {data['session_id']}: not gradable ({'; '.join(data.get('warnings', []))})"
    scores = ", ".join(f"{name} {c['score']}" for name, c in data["categories"].items())
    return (
        f"session {data['session_id']} of {data['user_id']}: {data['overall_score']}/100 ({scores})"
    )


async def consume(bootstrap: str, group: str, topic: str, max_events: int | None) -> int:
    """Print feedback events until ``max_events`` (or forever); returns how many were printed."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    # A real integration keeps this in its own database, next to what the handler writes.
    handled: set[str] = set()
    printed = 0
    await consumer.start()
    try:
        async for record in consumer:
            event = json.loads(record.value)
            if event["event_id"] not in handled:
                print(summary(event), flush=True)
                handled.add(event["event_id"])
                printed += 1
            await consumer.commit()
            if max_events is not None and printed >= max_events:
                break
    finally:
        await consumer.stop()
    return printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--group", default="example-feedback-printer")
    parser.add_argument("--topic", default=TOPIC)
    parser.add_argument("--max-events", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(consume(args.bootstrap, args.group, args.topic, args.max_events))


if __name__ == "__main__":
    main()
