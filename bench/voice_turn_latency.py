"""Voice turn latency: from the end of the candidate's speech to the first audio of the reply,
p50/p95, over the real LiveKit server with the offline speech stack.

Needs the local stack (`make dev`, then `source .stack/env`). The interviewer worker runs in this
process (jobs in threads) under an agent name of its own; sessions are stored in the real
MongoDB-compatible server and rooms opened through the LiveKit server API, as the sessions API
does. A scripted candidate joins each room, answers every question with Piper speech and says
"that's all" to anything else; the delay is measured where a candidate would feel it, at the
candidate's end of the connection. The worker's own figure (stored turn times) is printed too,
and where the time goes: each stage of every reply (``voice_agent.worker.timeline``) measured
from the end of the candidate's speech, with the machine's load average beside the figures.

Run: uv run python bench/voice_turn_latency.py [--sessions 2] [--questions 5]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from livekit.agents import JobExecutorType

from common.events import InterviewSpec, Question
from common.mongo import open_client
from voice_agent.livekit_rooms import LiveKitRooms, room_name
from voice_agent.repository import MongoSessionStore, SessionRecord
from voice_agent.speech import PiperTTS, SphinxSTT, build_language_model
from voice_agent.worker.candidate import ScriptedCandidate
from voice_agent.worker.main import build_server
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.timeline import STAGES

# (question, keywords that identify it when heard, the candidate's answer)
BANK = (
    (
        "How would you find duplicate values in a very large list?",
        {"duplicate", "duplicates"},
        "I would put each value in a hash set, and a value already in the set is a duplicate.",
    ),
    (
        "When would you put a cache in front of a database?",
        {"cache", "database"},
        "When the same rows are read again and again, a cache reduces the latency of reads.",
    ),
    (
        "How do you make a message consumer idempotent?",
        {"consumer", "idempotent", "message"},
        "I store the id of every message I processed and skip a message I have already seen.",
    ),
    (
        "What is the difference between a process and a thread?",
        {"process", "thread", "difference"},
        "A process has its own memory, while threads share the memory of their process.",
    ),
    (
        "How would you design a rate limiter for an API?",
        {"rate", "limiter", "design"},
        "I would keep a token bucket per client and refuse requests when the bucket is empty.",
    ),
    (
        "Why would you add an index to a table?",
        {"index", "table"},
        "An index makes the reads that filter on that column fast, but writes get slower.",
    ),
)
ENOUGH = "That's all I have on that question."
CLOSING = "That's the end of our interview. Thank you for your time. Good luck!"


def interview(count: int) -> InterviewSpec:
    questions = [
        Question(
            question_id=f"q{n}",
            text=text,
            kind="technical",
            topic="engineering",
            key_points=[],
        )
        for n, (text, _, _) in enumerate(BANK[:count])
    ]
    return InterviewSpec(
        role="backend", interview_type="technical", level="mid", tech_stack=[], questions=questions
    )


def script(count: int):  # type: ignore[no-untyped-def]
    answered: set[int] = set()

    def respond(heard: str) -> str | None:
        words = set(re.findall(r"[a-z']+", heard.lower()))
        if {"feedback", "luck"} & words:
            return None
        for n, (_, keywords, answer) in enumerate(BANK[:count]):
            if n not in answered and keywords & words:
                answered.add(n)
                return answer
        return ENOUGH

    return respond


class Timelines(logging.Handler):
    """Collects the worker's reply timelines (the jobs run in this process)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.timelines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        timeline = getattr(record, "reply_timeline", None)
        if isinstance(timeline, dict):
            self.timelines.append(timeline)


def breakdown(timelines: list[dict[str, object]], heard: list[tuple[float, float]]) -> None:
    """Each stage's p50/p95 after the end of the candidate's speech, as the worker saw it."""
    rows: dict[str, list[float]] = {stage: [] for stage in (*STAGES, "heard")}
    for timeline in timelines:
        ended = timeline.get("speech_ended")
        if not isinstance(ended, float):
            continue
        for stage in STAGES:
            at = timeline.get(stage)
            if isinstance(at, float):
                rows[stage].append(at - ended)
        # The candidate's own clock is this machine's: match the answer that ended nearest.
        near = [(abs(done - ended), reply) for done, reply in heard if abs(done - ended) < 0.4]
        if near:
            rows["heard"].append(min(near)[1] - ended)
    print("where the time goes, after the end of speech as the worker's VAD placed it:")
    for stage, values in rows.items():
        if values:
            print(
                f"{stage:>24}: p50 {percentile(values, 0.5) * 1000:4.0f} ms, "
                f"p95 {percentile(values, 0.95) * 1000:4.0f} ms (n={len(values)})"
            )
    prepared = [t for t in timelines if t.get("prepared")]
    print(f"{'first line pre-rendered':>24}: {len(prepared)} of {len(timelines)} replies")
    probabilities = sorted(
        p for t in timelines if isinstance(p := t.get("end_of_turn_probability"), float)
    )
    if probabilities:
        print(f"{'end-of-turn probability':>24}: " + " ".join(f"{p:.2f}" for p in probabilities))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_session(
    settings: InterviewerSettings, store: MongoSessionStore, rooms: LiveKitRooms, count: int
) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    session_id = uuid.uuid4().hex
    room = room_name(session_id)
    now = datetime.now(UTC)
    await store.create(
        SessionRecord(
            session_id=session_id,
            user_id="bench-user",
            interview_id=f"bench-{session_id[:8]}",
            room=room,
            state="created",
            interview=interview(count),
            seed=11,
            created_at=now,
            state_changed_at=now,
        )
    )
    await rooms.open_room(room, session_id)
    token = rooms.candidate_token(room, f"bench-{session_id[:6]}", name=None, now=now).token
    lines = [text for text, _, _ in BANK[:count]] + [CLOSING]
    ear = await asyncio.to_thread(lambda: SphinxSTT(build_language_model(extra_sentences=lines)))
    candidate = ScriptedCandidate(PiperTTS(), ear, script(count))
    await candidate.join(settings.livekit_url, token)
    try:
        await candidate.interview(within_s=60 + 40 * count)
    except TimeoutError:
        # A loaded machine can stretch an interview past its time: keep what was measured.
        print(f"session {session_id[:8]}: timed out after {len(candidate.exchanges)} answers")
    finally:
        await candidate.leave()
        await rooms.close_room(room)
    client_side = [e.reply_delay_s for e in candidate.exchanges if e.reply_delay_s is not None]
    heard = [
        (e.finished_speaking_at, e.reply_started_at)
        for e in candidate.exchanges
        if e.reply_started_at is not None
    ]
    await asyncio.sleep(2)
    record = await store.get(session_id)
    server_side: list[float] = []
    if record is not None:
        turns = list(record.turns)
        for before, after in itertools.pairwise(turns):
            if before.speaker == "candidate" and after.speaker == "interviewer":
                server_side.append((after.start_ms - before.end_ms) / 1000)
        print(f"session {session_id[:8]}: {record.state}, {len(turns)} turns", flush=True)
    return client_side, server_side, heard


async def main(sessions: int, count: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    timelines = Timelines()
    timeline_log = logging.getLogger("voice_agent.worker.timeline")
    timeline_log.setLevel(logging.INFO)
    timeline_log.addHandler(timelines)
    timeline_log.propagate = False
    if not os.environ.get("LIVEKIT_URL") or not os.environ.get("MONGODB_URI"):
        # `make bench` runs every benchmark; this one has nothing to measure without servers.
        print(
            "voice_turn_latency: skipped, needs the local stack (`make dev`, `source .stack/env`)"
        )
        return 0
    settings = InterviewerSettings(
        agent_name=f"bench-interviewer-{uuid.uuid4().hex[:6]}",
        max_sessions=1,
        worker_metrics_port=None,
        database="voice_agent_bench",
    )
    server = build_server(settings, executor=JobExecutorType.THREAD, http_port=0)
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())
    running = asyncio.create_task(server.run(devmode=True))
    rooms = LiveKitRooms(
        settings.livekit_url,
        settings.livekit_api_key,
        settings.livekit_api_secret.get_secret_value(),
        agent_name=settings.agent_name,
        token_ttl=timedelta(minutes=15),
        empty_timeout_s=60,
        max_participants=3,
    )
    client_side: list[float] = []
    server_side: list[float] = []
    heard: list[tuple[float, float]] = []
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        # LiveKit drops a dispatch that no registered worker can take: register first.
        await asyncio.wait_for(registered.wait(), 60)
        async with open_client(settings.mongodb_uri, "bench-voice") as client:
            store = MongoSessionStore(client[settings.database]["sessions"])
            for _ in range(sessions):
                replies, stored, pairs = await one_session(settings, store, rooms, count)
                client_side += replies
                server_side += stored
                heard += pairs
    finally:
        await rooms.aclose()
        await server.aclose()
        running.cancel()
    load_after = os.getloadavg()
    print(
        f"{len(client_side)} replies in {time.perf_counter() - started:.0f} s on "
        f"{os.cpu_count()} cores; load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    for name, values in (("heard by the candidate", client_side), ("worker's turns", server_side)):
        if values:
            print(
                f"{name:>24}: p50 {percentile(values, 0.5) * 1000:.0f} ms, "
                f"p95 {percentile(values, 0.95) * 1000:.0f} ms, "
                f"mean {statistics.mean(values) * 1000:.0f} ms (n={len(values)})"
            )
    if timelines.timelines:
        breakdown(timelines.timelines, heard)
    return 0 if client_side else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--questions", type=int, default=5, choices=range(1, len(BANK) + 1))
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.questions)))
