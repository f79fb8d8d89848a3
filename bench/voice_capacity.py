"""Worker capacity: how many interviews one interviewer worker holds at once on this machine
with p95 turn latency (end of the candidate's speech -> first interviewer audio) under 1.5 s.

Needs the local stack (`make dev`, then `source .stack/env`). The worker runs as its own
process, as in production (`JobExecutorType.PROCESS`: one process per interview), registered
under an agent name of its own with as many slots as the highest level. Levels 1, 2, 3, ...:
that many scripted candidates (this process) join at once, each answering every question with
Piper speech; the reply delays are measured at the candidate's end of the connection and, from
the stored turns, as the worker saw them. The ramp stops at the first level over the target.
The candidates share the machine with the worker: their speech and ears cost CPU too.

Run: uv run python bench/voice_capacity.py [--max-level 4] [--questions 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from common.events import InterviewSpec, Question
from common.mongo import open_client
from voice_agent.livekit_rooms import LiveKitRooms, room_name
from voice_agent.repository import MongoSessionStore, SessionRecord
from voice_agent.speech import PiperTTS, SphinxSTT, build_language_model
from voice_agent.worker.candidate import ScriptedCandidate
from voice_agent.worker.settings import InterviewerSettings

TARGET_P95_S = 1.5
DATABASE = "voice_agent_bench"
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
)
ENOUGH = "That's all I have on that question."
CLOSING = "That's the end of our interview. Thank you for your time. Good luck!"


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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_worker(agent_name: str, slots: int) -> None:
    """The worker process: an interviewer worker as in production, until killed."""
    from livekit.agents import JobExecutorType

    from voice_agent.worker.main import build_server

    logging.basicConfig(level=logging.WARNING)
    settings = InterviewerSettings(
        agent_name=agent_name,
        max_sessions=slots,
        worker_metrics_port=None,
        database=DATABASE,
        drain_timeout_s=5,  # stopped between runs, not in production
    )
    server = build_server(settings, executor=JobExecutorType.PROCESS, http_port=0)
    server.on("worker_registered", lambda *_: print("registered", flush=True))
    asyncio.run(server.run(devmode=True))


async def one_session(
    settings: InterviewerSettings,
    store: MongoSessionStore,
    rooms: LiveKitRooms,
    voice: PiperTTS,
    count: int,
) -> tuple[list[float], list[float]]:
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
    candidate = ScriptedCandidate(voice, ear, script(count))
    await candidate.join(settings.livekit_url, token)
    try:
        await candidate.interview(within_s=120 + 40 * count)
    except TimeoutError:
        print(f"session {session_id[:8]}: did not finish in time", flush=True)
    finally:
        await candidate.leave()
        await rooms.close_room(room)
    heard = [e.reply_delay_s for e in candidate.exchanges if e.reply_delay_s is not None]
    await asyncio.sleep(2)
    record = await store.get(session_id)
    stored: list[float] = []
    if record is not None:
        for before, after in itertools.pairwise(record.turns):
            if before.speaker == "candidate" and after.speaker == "interviewer":
                stored.append((after.start_ms - before.end_ms) / 1000)
    return heard, stored


async def level(
    n: int,
    settings: InterviewerSettings,
    store: MongoSessionStore,
    rooms: LiveKitRooms,
    voice: PiperTTS,
    count: int,
) -> tuple[list[float], list[float]]:
    results = await asyncio.gather(
        *(one_session(settings, store, rooms, voice, count) for _ in range(n))
    )
    return [d for h, _ in results for d in h], [d for _, s in results for d in s]


async def main(max_level: int, count: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    if not os.environ.get("LIVEKIT_URL") or not os.environ.get("MONGODB_URI"):
        # `make bench` runs every benchmark; this one has nothing to measure without servers.
        print("voice_capacity: skipped, needs the local stack (`make dev`, `source .stack/env`)")
        return 0
    agent_name = f"bench-capacity-{uuid.uuid4().hex[:6]}"
    settings = InterviewerSettings(
        agent_name=agent_name, max_sessions=max_level, worker_metrics_port=None, database=DATABASE
    )
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--worker",
        agent_name,
        "--max-level",
        str(max_level),
        stdout=asyncio.subprocess.PIPE,
    )
    rooms = LiveKitRooms(
        settings.livekit_url,
        settings.livekit_api_key,
        settings.livekit_api_secret.get_secret_value(),
        agent_name=agent_name,
        token_ttl=timedelta(minutes=15),
        empty_timeout_s=60,
        max_participants=3,
    )
    voice = PiperTTS()
    held = 0
    started = time.perf_counter()
    try:
        assert worker.stdout is not None
        # LiveKit drops a dispatch that no registered worker can take: register first.
        async with asyncio.timeout(120):
            while b"registered" not in await worker.stdout.readline():
                pass
        async with open_client(settings.mongodb_uri, "bench-voice") as client:
            store = MongoSessionStore(client[DATABASE]["sessions"])
            print(f"target: p95 turn latency under {TARGET_P95_S:.1f} s, {count} questions each")
            for n in range(1, max_level + 1):
                load_before = os.getloadavg()[0]
                heard, stored = await level(n, settings, store, rooms, voice, count)
                load = os.getloadavg()
                if not heard:
                    print(f"{n} concurrent: no replies heard (load {load[0]:.1f})")
                    break
                p50, p95 = percentile(heard, 0.5), percentile(heard, 0.95)
                worker_side = (
                    f"; worker's turns p50 {percentile(stored, 0.5):.2f} s, "
                    f"p95 {percentile(stored, 0.95):.2f} s"
                    if stored
                    else ""
                )
                print(
                    f"{n} concurrent: heard p50 {p50:.2f} s, p95 {p95:.2f} s (n={len(heard)})"
                    f"{worker_side}; load average {load_before:.1f} before, "
                    f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} after",
                    flush=True,
                )
                if p95 >= TARGET_P95_S:
                    break
                held = n
    finally:
        await rooms.aclose()
        with contextlib.suppress(ProcessLookupError):
            worker.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker.wait(), 30)
        with contextlib.suppress(ProcessLookupError):
            worker.kill()
    print(
        f"one worker holds {held} concurrent interview(s) with p95 under {TARGET_P95_S:.1f} s "
        f"({'ramp stopped there' if held < max_level else 'the highest level tried'}); "
        f"{time.perf_counter() - started:.0f} s on {os.cpu_count()} cores, shared"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-level", type=int, default=4)
    parser.add_argument("--questions", type=int, default=3, choices=range(1, len(BANK) + 1))
    parser.add_argument("--worker", metavar="AGENT_NAME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.max_level)
        sys.exit(0)
    sys.exit(asyncio.run(main(args.max_level, args.questions)))
