"""Back-channel onset: from the start of a pause in the middle of an answer to the first audio
of the interviewer's "mhm" as the candidate receives it, p50/p95, over the real LiveKit server.

Needs the local stack (`make dev`, then `source .stack/env`). The interviewer worker runs in this
process (jobs in threads) under an agent name of its own, as in bench/voice_turn_latency.py. A
scripted candidate answers each question in three parts, pausing after the first two in the
middle of a sentence ("..., and"); the candidate notes when sound arrives on the back-channel
track. A pause with no clip is counted as missed (the policy allows one per pause, at most three
an answer, none in the first three seconds).

Run: uv run python bench/voice_backchannel_onset.py [--sessions 2] [--questions 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import re
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

# (question, keywords that identify it when heard, the answer in parts with pauses between)
BANK = (
    (
        "How would you find duplicate values in a very large list?",
        {"duplicate", "duplicates"},
        (
            "I would walk through the list once and keep every value in a hash set, and",
            "when a value is already in the set I report it as a duplicate of another, so",
            "the whole pass is linear in the size of the list.",
        ),
    ),
    (
        "When would you put a cache in front of a database?",
        {"cache", "database"},
        (
            "When the same rows are read again and again by many different requests, and",
            "the database is slower than memory for every one of those reads, then",
            "a cache reduces the latency of reads a lot.",
        ),
    ),
    (
        "How do you make a message consumer idempotent?",
        {"consumer", "idempotent", "message"},
        (
            "I would store the identifier of every message that I have processed, and",
            "before handling a message I look its identifier up in that store, so",
            "a message I have already seen is skipped.",
        ),
    ),
)
ENOUGH = "That's all I have on that question."
CLOSING = "That's the end of our interview. Thank you for your time. Good luck!"
PAUSE_S = 3.0


def interview(count: int) -> InterviewSpec:
    questions = [
        Question(
            question_id=f"q{n}", text=text, kind="technical", topic="engineering", key_points=[]
        )
        for n, (text, _, _) in enumerate(BANK[:count])
    ]
    return InterviewSpec(
        role="backend", interview_type="technical", level="mid", tech_stack=[], questions=questions
    )


def script(count: int):  # type: ignore[no-untyped-def]
    answered: set[int] = set()

    def respond(heard: str) -> str | list[str] | None:
        words = set(re.findall(r"[a-z']+", heard.lower()))
        if {"feedback", "luck"} & words:
            return None
        for n, (_, keywords, parts) in enumerate(BANK[:count]):
            if n not in answered and keywords & words:
                answered.add(n)
                return list(parts)
        return ENOUGH

    return respond


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def one_session(
    settings: InterviewerSettings, store: MongoSessionStore, rooms: LiveKitRooms, count: int
) -> tuple[list[float], int]:
    """Onsets of the back-channels heard in one interview, and the pauses that got none."""
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
    candidate = ScriptedCandidate(PiperTTS(), ear, script(count), pause_s=PAUSE_S)
    await candidate.join(settings.livekit_url, token)
    try:
        await candidate.interview(within_s=90 + 60 * count)
    except TimeoutError:
        # The pauses heard so far still count.
        heard = [h.text for h in candidate.heard]
        print(f"session {session_id[:8]}: not over in time; heard {heard}", flush=True)
    finally:
        await candidate.leave()
        await rooms.close_room(room)
    onsets: list[float] = []
    missed = 0
    inside = {pair for _, _, parts in BANK for pair in itertools.pairwise(parts)}
    for before, after in itertools.pairwise(candidate.spoken):
        if (before.text, after.text) not in inside:
            continue  # between answers: the interviewer's turn, not a pause
        clips = [
            c.started_at
            for c in candidate.backchannels
            if before.ended_at < c.started_at < after.started_at + 0.5
        ]
        if clips:
            onsets.append(min(clips) - before.ended_at)
        else:
            missed += 1
    print(
        f"session {session_id[:8]}: {len(onsets)} back-channels heard, {missed} pauses without",
        flush=True,
    )
    return onsets, missed


async def main(sessions: int, count: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    if not os.environ.get("LIVEKIT_URL") or not os.environ.get("MONGODB_URI"):
        # `make bench` runs every benchmark; this one has nothing to measure without servers.
        print(
            "voice_backchannel_onset: skipped, needs the local stack "
            "(`make dev`, `source .stack/env`)"
        )
        return 0
    settings = InterviewerSettings(
        agent_name=f"bench-backchannel-{uuid.uuid4().hex[:6]}",
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
    onsets: list[float] = []
    missed = 0
    started = time.perf_counter()
    try:
        # LiveKit drops a dispatch that no registered worker can take: register first.
        await asyncio.wait_for(registered.wait(), 60)
        async with open_client(settings.mongodb_uri, "bench-voice") as client:
            store = MongoSessionStore(client[settings.database]["sessions"])
            for _ in range(sessions):
                heard, none = await one_session(settings, store, rooms, count)
                onsets += heard
                missed += none
    finally:
        await rooms.aclose()
        await server.aclose()
        running.cancel()
    load = os.getloadavg()
    print(
        f"{len(onsets) + missed} mid-answer pauses in {time.perf_counter() - started:.0f} s; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )
    if onsets:
        print(
            f"back-channel onset (pause start -> first clip audio at the candidate): "
            f"p50 {percentile(onsets, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(onsets, 0.95) * 1000:.0f} ms, "
            f"min {min(onsets) * 1000:.0f} ms, max {max(onsets) * 1000:.0f} ms "
            f"(n={len(onsets)}, pauses without one: {missed})"
        )
    return 0 if onsets else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--questions", type=int, default=3, choices=range(1, len(BANK) + 1))
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.questions)))
