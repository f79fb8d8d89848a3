"""The example integration in docs/examples reads FeedbackReady from the real Kafka."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from common.events import CategoryScore, Feedback, FeedbackReady, ScorerInfo
from common.events.models import CATEGORIES
from common.messaging import EventPublisher, create_broker
from tests.integration.servers import Servers

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "feedback_consumer.py"


async def test_the_documented_consumer_prints_each_report_once(servers: Servers) -> None:
    topic = f"it.{uuid.uuid4().hex}.feedback"
    event = FeedbackReady(
        data=Feedback(
            feedback_id="f-example",
            session_id="s-example",
            interview_id="i-example",
            user_id="u-example",
            created_at=datetime.now(UTC),
            gradable=True,
            overall_score=74,
            categories={c: CategoryScore(score=70, rationale="r") for c in CATEGORIES},
            scorer=ScorerInfo(engine="offline-rubric", version="test"),
        )
    )
    broker = create_broker(servers.kafka_bootstrap_servers, service="example-test")
    async with broker:
        await broker.start()
        publisher = EventPublisher(broker)
        for _ in range(2):  # a redelivery: the same event twice
            await publisher.publish_record(topic, event.key, event.to_record_value(), {})
        # Another user's report carrying a field added after v1: the example ignores it.
        await publisher.publish_record(
            topic,
            "u-2",
            {
                **event.to_record_value(),
                "event_id": str(uuid.uuid4()),
                "data": {
                    **event.to_record_value()["data"],
                    "session_id": "s-second",
                    "user_id": "u-2",
                    "new_field_from_v1_1": True,
                },
            },
            {},
        )

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--bootstrap",
        servers.kafka_bootstrap_servers,
        "--group",
        f"example-{uuid.uuid4().hex[:8]}",
        "--topic",
        topic,
        "--max-events",
        "2",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    # Two users, two partitions: no order between them, and the duplicate is printed once.
    lines = sorted(stdout.decode().splitlines())
    assert len(lines) == 2
    assert lines[0].startswith("session s-example of u-example: 74/100 (communication 70")
    assert lines[1].startswith("session s-second of u-2: 74/100")
