"""The scoring service killed with SIGKILL in the middle of 500 sessions, then started again:
every session ends with exactly one feedback document and its FeedbackReady on Kafka.

The service runs as the real ``mocksy-scoring serve`` process with a consumer group and a
database of its own; its group starts at the current end of ``mocksy.session.completed.v1``,
so it scores only the sessions this test publishes. ``FeedbackReady`` is read back by an
independent consumer group. Delivery is at least once, so a record may repeat after the kill:
the test counts distinct session ids and prints how many records repeated.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from common.events import FEEDBACK_READY, SESSION_COMPLETED, FeedbackReady, SessionCompleted
from common.messaging import EventPublisher, create_broker
from common.mongo import open_client
from tests.integration.servers import REPO, Servers
from tests.resilience.faults import (
    ServiceProcess,
    free_port,
    pin_group_to_end,
    reader_at_end,
    stack_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

SESSIONS = 500
USERS = 20
TEMPLATE = REPO / "services" / "scoring" / "tests" / "fixtures" / "mixed_session.json"
# Killed once this many feedback documents exist: well into the run, far from its end.
KILL_AFTER = 60
DRAIN_WITHIN_S = 240.0
# Several relay passes after the last expected record: time for a repeat to show up.
REPEAT_GRACE_S = 3.0


def sessions(run: str) -> list[SessionCompleted]:
    """``SESSIONS`` completed sessions of ``USERS`` users, from the scoring sample transcript."""
    template: dict[str, Any] = json.loads(TEMPLATE.read_text())
    return [
        SessionCompleted.model_validate(
            {
                "data": {
                    **template,
                    "session_id": f"crash-{run}-{n:03d}",
                    "user_id": f"crash-user-{run}-{n % USERS}",
                    "interview_id": f"crash-interview-{run}-{n}",
                }
            }
        )
        for n in range(SESSIONS)
    ]


async def publish_all(servers: Servers, events: list[SessionCompleted]) -> None:
    broker = create_broker(servers.kafka_bootstrap_servers, service="resilience-voice-agent")
    async with broker:
        await broker.start()
        publisher = EventPublisher(broker)
        for start in range(0, len(events), 50):
            await asyncio.gather(*(publisher.publish(e) for e in events[start : start + 50]))


class Announcements:
    """FeedbackReady records on this test's sessions, as an independent consumer group sees them.

    Progress is watched here rather than by counting feedback documents: counting scans the
    collection on FerretDB and would slow the service under test.
    """

    def __init__(self, reader: AIOKafkaConsumer, expected: set[str]) -> None:
        self.reader = reader
        self.expected = expected
        self.found: list[FeedbackReady] = []

    @property
    def sessions(self) -> set[str]:
        return {e.data.session_id for e in self.found}

    async def poll(self, timeout_ms: int = 500) -> None:
        batch = await self.reader.getmany(timeout_ms=timeout_ms)
        for records in batch.values():
            for record in records:
                event = FeedbackReady.model_validate_json(record.value)
                if event.data.session_id in self.expected:
                    self.found.append(event)

    async def until(self, count: int, *, within: float) -> None:
        async with asyncio.timeout(within):
            while len(self.sessions) < count:
                await self.poll(100)

    async def linger(self, seconds: float) -> None:
        """Keep reading, so that repeats published late show up too."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.poll(500)


async def test_scoring_killed_mid_batch_scores_every_session_exactly_once(
    servers: Servers, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    service = f"scoring-crash-{run}"
    database = f"scoring_crash_{run}"
    events = sessions(run)
    expected = {e.data.session_id for e in events}

    await pin_group_to_end(servers, SESSION_COMPLETED, f"mocksy-{service}.session-completed")
    reader = await reader_at_end(servers, FEEDBACK_READY, f"resilience-crash-reader-{run}")
    scoring = ServiceProcess(
        ("mocksy-scoring", "serve"),
        {
            **stack_environment(servers),
            "MOCKSY_SCORING_SERVICE_NAME": service,
            "MOCKSY_SCORING_DATABASE": database,
            "MOCKSY_SCORING_HTTP_PORT": str(free_port()),
            "MOCKSY_SCORING_OUTBOX_POLL_S": "0.1",
        },
        tmp_path / "scoring.log",
    )
    async with open_client(servers.mongodb_uri, "resilience-scoring-crash") as mongo:
        feedback = mongo[database]["feedback"]
        try:
            # All 500 are on the topic before the service starts: every one is in flight.
            await publish_all(servers, events)
            scoring.start()
            announcements = Announcements(reader, expected)
            await announcements.until(KILL_AFTER, within=DRAIN_WITHIN_S)
            status = scoring.kill()
            announced_at_kill = len(announcements.sessions)
            at_kill = await feedback.count_documents({})
            assert status == -9
            assert 0 < at_kill < SESSIONS, "the kill came too late to interrupt anything"

            restarted = time.monotonic()
            scoring.start()
            await announcements.until(SESSIONS, within=DRAIN_WITHIN_S)
            drained_s = time.monotonic() - restarted
            await announcements.linger(REPEAT_GRACE_S)

            documents = [d async for d in feedback.find({}, {"event_id": 1, "outbox": 1})]
        finally:
            scoring.stop()
            await reader.stop()
            await mongo.drop_database(database)

    # One feedback document per session: no session lost, none scored twice.
    assert len(documents) == SESSIONS
    assert {d["_id"] for d in documents} == expected
    assert [d for d in documents if d.get("outbox")] == []
    # Every session announced by the event its feedback document names (a scoring process
    # elsewhere on the same Kafka would announce the same sessions under other event ids).
    stored_event = {d["_id"]: d["event_id"] for d in documents}
    ours = [e for e in announcements.found if str(e.event_id) == stored_event[e.data.session_id]]
    by_session = Counter(e.data.session_id for e in ours)
    assert set(by_session) == expected
    repeats = sum(by_session.values()) - len(by_session)
    print(
        f"\nscoring SIGKILL drill: {SESSIONS} SessionCompleted in flight; killed with "
        f"{at_kill} feedback documents stored, {announced_at_kill} announced; after the restart "
        f"every session announced within {drained_s:.1f}s; {len(documents)} feedback documents, "
        f"{len(by_session)} distinct sessions in {sum(by_session.values())} FeedbackReady "
        f"records ({repeats} at-least-once repeats)"
    )
