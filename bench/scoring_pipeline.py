"""Benchmark: SessionCompleted -> FeedbackReady through the real Kafka and the scoring service.

Starts ``mocksy-scoring serve`` in a child process with a consumer group and a database of its
own (the group is pinned to the current end of the topic first, so it scores only what this
run publishes), publishes N sessions made from the sample transcript, and reads FeedbackReady
with an independent consumer group. Latency is from just before the publish call to the moment
this process reads the matching FeedbackReady.

    source .stack/env && uv run python bench/scoring_pipeline.py [--sessions 200] [--rate 0]

``--rate 0`` publishes everything at once (throughput; latencies include queueing behind the
earlier sessions); ``--rate 5`` publishes five sessions a second (latency of one session when
the service keeps up). ``--external`` measures an already running scoring service instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from measuring import LatencyFigures, Publication, publish_and_wait
from pymongo import AsyncMongoClient

from common.events import FEEDBACK_READY, SESSION_COMPLETED, FeedbackReady, SessionCompleted

DUPLICATE_GRACE_S = 3.0
TEMPLATE = (
    Path(__file__).resolve().parents[1] / "services/scoring/tests/fixtures/mixed_session.json"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def sessions(count: int, run: str) -> list[SessionCompleted]:
    """``count`` copies of the sample transcript as distinct sessions of one bench user."""
    document: dict[str, Any] = json.loads(TEMPLATE.read_text())
    out = []
    for n in range(count):
        document.update(
            session_id=f"bench-{run}-{n:05}",
            interview_id=f"bench-{run}-i{n:05}",
            user_id=f"bench-user-{run}",
        )
        out.append(SessionCompleted.model_validate({"data": document}))
    return out


async def from_the_end(bootstrap: str, topic: str, group_id: str) -> AIOKafkaConsumer:
    """A consumer in ``group_id`` whose committed position is the current end of ``topic``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    await consumer.start()
    async with asyncio.timeout(60):
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
    await consumer.commit({tp: await consumer.position(tp) for tp in consumer.assignment()})
    return consumer


def spawn(service: str, database: str, port: int) -> subprocess.Popen[bytes]:
    """``mocksy-scoring serve`` in a child process."""
    env = {
        **os.environ,
        "MOCKSY_SCORING_SERVICE_NAME": service,
        "MOCKSY_SCORING_DATABASE": database,
        "MOCKSY_SCORING_HTTP_PORT": str(port),
        "MOCKSY_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from scoring.cli import main; sys.exit(main(['serve']))",
        ],
        env=env,
    )


async def wait_until_ready(base: str, within: float = 60.0) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(within):
        while True:
            try:
                if (await http.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def scoring_seconds(base: str) -> tuple[float, float]:
    """Sum and count of the service's scoring duration histogram."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{base}/metrics")).text
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith("mocksy_scoring_scoring_duration_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("mocksy_scoring_scoring_duration_seconds_count"):
            count += float(line.rsplit(" ", 1)[1])
    return total, count


Arrival = tuple[float, float, float]  # perf_counter and wall time of arrival, created_at


async def measure(
    args: argparse.Namespace,
    bootstrap: str,
    reader: AIOKafkaConsumer,
    mongo: AsyncMongoClient[dict[str, Any]] | None,
    database: str,
) -> None:
    run = uuid.uuid4().hex[:8]
    events = sessions(args.sessions, run)
    arrivals: dict[str, dict[str, list[Arrival]]] = {e.data.session_id: {} for e in events}

    async def read_until(done: Callable[[], bool]) -> None:
        """Read batches (at least one) until ``done()``."""
        while True:
            batch = await reader.getmany(timeout_ms=200)
            now, wall_now = time.perf_counter(), time.time()
            for records in batch.values():
                for record in records:
                    event = FeedbackReady.model_validate_json(record.value)
                    by_event = arrivals.get(event.data.session_id)
                    if by_event is not None:
                        by_event.setdefault(str(event.event_id), []).append(
                            (now, wall_now, event.data.created_at.timestamp())
                        )
            if done():
                return

    async def ours() -> dict[str, str]:
        # Another scoring process on this Kafka (`make dev` runs one) answers too, under its
        # own event ids; the spawned service's answer is the one its database names.
        if mongo is None:
            return {}
        names = {}
        async for document in mongo[database]["feedback"].find({}, {"event_id": 1}):
            names[document["_id"]] = document["event_id"]
        return names

    async def read_all(_: Publication) -> dict[str, str]:
        await read_until(lambda: all(arrivals.values()))
        names = await ours()
        while mongo is not None and not all(s in names for s in arrivals):
            await read_until(lambda: True)
            names = await ours()
        await read_until(lambda: all(not names or names.get(s) in a for s, a in arrivals.items()))
        return names

    publication, read = await publish_and_wait(
        bootstrap,
        f"scoring-bench-producer-{run}",
        events,
        rate=args.rate,
        wait=read_all,
        within=args.seconds,
    )
    if read is None:
        print("timed out before every session was announced")
    names = read or {}
    # A duplicate of one announcement would arrive within a few relay passes.
    await asyncio.sleep(DUPLICATE_GRACE_S)
    await read_until(lambda: True)
    # Wall-clock times (same machine as the service) split the latency at the feedback's
    # created_at: queueing and scoring before it, the outbox relay and Kafka after it.
    published, published_at, started = publication.at, publication.wall, publication.started

    chosen: dict[str, Arrival] = {}
    duplicates = others = 0
    for session, by_event in arrivals.items():
        mine = names.get(session) or next(iter(by_event), None)
        for event_id, seen in by_event.items():
            if event_id == mine:
                chosen[session] = seen[0]
                duplicates += len(seen) - 1
            else:
                others += len(seen)
    received = {s: a[0] for s, a in chosen.items()}
    received_at = {s: a[1] for s, a in chosen.items()}
    stored_at = {s: a[2] for s, a in chosen.items()}
    wall = max(received.values(), default=started) - started

    latencies = sorted((received[s] - published[s]) * 1000 for s in received)
    if not latencies:
        return
    mode = f"paced at {args.rate:g}/s" if args.rate > 0 else "all at once"
    print(f"sessions: {len(events)} published {mode} in {publication.took_s:.2f}s")
    print(f"FeedbackReady received: {len(received)}, duplicates: {duplicates}")
    if others:
        print(f"({others} more from another scoring process on this Kafka, left out)")
    figures = LatencyFigures.of(latencies)
    print(f"latency publish -> FeedbackReady: {figures.line('p50', 'p95', 'max', 'mean')}")
    before = LatencyFigures.of([(stored_at[s] - published_at[s]) * 1000 for s in received])
    after = LatencyFigures.of([(received_at[s] - stored_at[s]) * 1000 for s in received])
    print(f"  publish -> feedback stored (queue + scoring + insert): {before.line('p50', 'p95')}")
    print(f"  stored -> FeedbackReady read (outbox relay + Kafka): {after.line('p50', 'p95')}")
    print(
        f"throughput: {len(received) / wall:.1f} sessions/s (first publish to last FeedbackReady)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rate", type=float, default=0.0, help="sessions/s; 0 = all at once")
    parser.add_argument("--seconds", type=float, default=300.0, help="time limit for the answers")
    parser.add_argument("--external", metavar="URL", help="a running scoring service's base URL")
    args = parser.parse_args()

    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    mongodb_uri = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27117/")
    run = uuid.uuid4().hex[:8]
    reader = await from_the_end(bootstrap, FEEDBACK_READY, f"scoring-bench-reader-{run}")
    child: subprocess.Popen[bytes] | None = None
    database = f"scoring_bench_{run}"
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    try:
        if args.external:
            base = args.external.rstrip("/")
        else:
            service = f"scoring-bench-{run}"
            pinned = await from_the_end(
                bootstrap, SESSION_COMPLETED, f"mocksy-{service}.session-completed"
            )
            await pinned.stop()
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            child = spawn(service, database, port)
            await wait_until_ready(base)
        before = await scoring_seconds(base)
        await measure(args, bootstrap, reader, None if args.external else mongo, database)
        after = await scoring_seconds(base)
        scored = after[1] - before[1]
        if scored:
            mean_ms = (after[0] - before[0]) / scored * 1000
            print(f"in the service: {scored:.0f} scored, mean scoring time {mean_ms:.1f} ms")
    finally:
        await reader.stop()
        if child is not None:
            child.terminate()
            child.wait(timeout=30)
            await mongo.drop_database(database)
        await mongo.close()


if __name__ == "__main__":
    asyncio.run(main())
