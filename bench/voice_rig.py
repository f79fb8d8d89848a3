"""What the voice benchmarks share: their questions and answers, a session with a scripted
candidate in its room, the interviewer worker in this process, and how figures are printed.

Not a benchmark itself (`make bench` runs it too: it does nothing). bench/voice_turn_latency.py,
voice_backchannel_onset.py and voice_capacity.py import it; the stack must be up
(`make dev`, then `source .stack/env`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from livekit.agents import AgentServer, JobExecutorType

from common.events import InterviewSpec, Question
from voice_agent.livekit_rooms import LiveKitRooms, room_name
from voice_agent.repository import MongoSessionStore, SessionRecord
from voice_agent.speech import PiperTTS, SphinxSTT, build_language_model
from voice_agent.worker.candidate import ScriptedCandidate
from voice_agent.worker.main import build_server
from voice_agent.worker.settings import InterviewerSettings

DATABASE = "voice_agent_bench"
ENOUGH = "That's all I have on that question."
CLOSING = "That's the end of our interview. Thank you for your time. Good luck!"


@dataclass(frozen=True)
class BenchQuestion:
    """A question, the words that identify it when heard, and the answer in parts."""

    text: str
    keywords: frozenset[str]
    # Several parts: the candidate pauses between them, in the middle of a sentence.
    answer: tuple[str, ...]


def _question(text: str, keywords: str, *answer: str) -> BenchQuestion:
    return BenchQuestion(text, frozenset(keywords.split()), answer)


# Answered in one breath: the reply latency and capacity benchmarks.
ONE_PART = (
    _question(
        "How would you find duplicate values in a very large list?",
        "duplicate duplicates",
        "I would put each value in a hash set, and a value already in the set is a duplicate.",
    ),
    _question(
        "When would you put a cache in front of a database?",
        "cache database",
        "When the same rows are read again and again, a cache reduces the latency of reads.",
    ),
    _question(
        "How do you make a message consumer idempotent?",
        "consumer idempotent message",
        "I store the id of every message I processed and skip a message I have already seen.",
    ),
    _question(
        "What is the difference between a process and a thread?",
        "process thread difference",
        "A process has its own memory, while threads share the memory of their process.",
    ),
    _question(
        "How would you design a rate limiter for an API?",
        "rate limiter design",
        "I would keep a token bucket per client and refuse requests when the bucket is empty.",
    ),
    _question(
        "Why would you add an index to a table?",
        "index table",
        "An index makes the reads that filter on that column fast, but writes get slower.",
    ),
)

# Answered in three parts with a pause after "..., and" and "..., so": the back-channel bench.
THREE_PARTS = (
    _question(
        "How would you find duplicate values in a very large list?",
        "duplicate duplicates",
        "I would walk through the list once and keep every value in a hash set, and",
        "when a value is already in the set I report it as a duplicate of another, so",
        "the whole pass is linear in the size of the list.",
    ),
    _question(
        "When would you put a cache in front of a database?",
        "cache database",
        "When the same rows are read again and again by many different requests, and",
        "the database is slower than memory for every one of those reads, then",
        "a cache reduces the latency of reads a lot.",
    ),
    _question(
        "How do you make a message consumer idempotent?",
        "consumer idempotent message",
        "I would store the identifier of every message that I have processed, and",
        "before handling a message I look its identifier up in that store, so",
        "a message I have already seen is skipped.",
    ),
)


def interview(bank: Sequence[BenchQuestion]) -> InterviewSpec:
    """A technical interview asking ``bank``'s questions (no key points: no follow-ups)."""
    questions = [
        Question(question_id=f"q{n}", text=q.text, kind="technical", topic="engineering")
        for n, q in enumerate(bank)
    ]
    return InterviewSpec(
        role="backend", interview_type="technical", level="mid", tech_stack=[], questions=questions
    )


def script(bank: Sequence[BenchQuestion]) -> Callable[[str], str | list[str] | None]:
    """Each question answered once, ENOUGH to anything else, nothing after the closing."""
    answered: set[int] = set()

    def respond(heard: str) -> str | list[str] | None:
        words = set(re.findall(r"[a-z']+", heard.lower()))
        if {"feedback", "luck"} & words:
            return None
        for n, question in enumerate(bank):
            if n not in answered and question.keywords & words:
                answered.add(n)
                return list(question.answer)
        return ENOUGH

    return respond


def pauses_inside_answers(bank: Sequence[BenchQuestion]) -> set[tuple[str, str]]:
    """The (part, next part) pairs with a pause between them inside one answer."""
    return {pair for question in bank for pair in itertools.pairwise(question.answer)}


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile by the nearest rank (values are few: no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages and its cores, for beside a figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def stack_missing(bench: str) -> bool:
    """True (after saying so) when the servers' addresses are not in the environment."""
    if os.environ.get("LIVEKIT_URL") and os.environ.get("MONGODB_URI"):
        return False
    # `make bench` runs every benchmark; a voice one has nothing to measure without servers.
    print(f"{bench}: skipped, needs the local stack (`make dev`, `source .stack/env`)")
    return True


def bench_settings(prefix: str, *, max_sessions: int = 2) -> InterviewerSettings:
    """Worker settings under an agent name of this run's own (no other worker takes its jobs).

    Interviews run one after another, but the job of the last one may still be ending when the
    next is dispatched: with a single slot LiveKit would drop that dispatch.
    """
    return InterviewerSettings(
        agent_name=f"{prefix}-{uuid.uuid4().hex[:6]}",
        max_sessions=max_sessions,
        worker_metrics_port=None,
        database=DATABASE,
    )


def rooms_for(settings: InterviewerSettings) -> LiveKitRooms:
    """Opens rooms and dispatches ``settings.agent_name`` into them, as the sessions API does."""
    return LiveKitRooms(
        settings.livekit_url,
        settings.livekit_api_key,
        settings.livekit_api_secret.get_secret_value(),
        agent_name=settings.agent_name,
        token_ttl=timedelta(minutes=15),
        empty_timeout_s=60,
        max_participants=3,
    )


@contextlib.asynccontextmanager
async def worker_in_process(settings: InterviewerSettings) -> AsyncIterator[AgentServer]:
    """The interviewer worker in this process (jobs in threads), registered."""
    server = build_server(settings, executor=JobExecutorType.THREAD, http_port=0)
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())
    running = asyncio.create_task(server.run(devmode=True))
    try:
        # LiveKit drops a dispatch that no registered worker can take: register first.
        await asyncio.wait_for(registered.wait(), 60)
        yield server
    finally:
        await server.aclose()
        running.cancel()


def interviewer_ear(bank: Sequence[BenchQuestion]) -> SphinxSTT:
    """The candidate's recognizer, knowing what the interviewer will say (slow: a thread)."""
    lines = [q.text for q in bank] + [CLOSING]
    ear = SphinxSTT(build_language_model(extra_sentences=lines))
    ear.prewarm()
    return ear


@contextlib.asynccontextmanager
async def candidate_session(
    settings: InterviewerSettings,
    store: MongoSessionStore,
    rooms: LiveKitRooms,
    bank: Sequence[BenchQuestion],
    *,
    voice: PiperTTS | None = None,
    pause_s: float = 3.0,
) -> AsyncIterator[tuple[str, ScriptedCandidate]]:
    """A stored session of ``bank`` with the interviewer dispatched and a scripted candidate
    joined: its id and the candidate, who leaves (and the room closes) on exit."""
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
            interview=interview(bank),
            seed=11,
            created_at=now,
            state_changed_at=now,
        )
    )
    await rooms.open_room(room, session_id)
    token = rooms.candidate_token(room, f"bench-{session_id[:6]}", name=None, now=now).token
    ear = await asyncio.to_thread(interviewer_ear, bank)
    candidate = ScriptedCandidate(voice or PiperTTS(), ear, script(bank), pause_s=pause_s)
    await candidate.join(settings.livekit_url, token)
    try:
        yield session_id, candidate
    finally:
        await candidate.leave()
        await rooms.close_room(room)


async def stored_reply_delays(store: MongoSessionStore, session_id: str) -> list[float]:
    """Seconds from each stored candidate turn's end to the interviewer's next line's start."""
    # The worker stores the last lines a moment after the candidate has left.
    await asyncio.sleep(2)
    record = await store.get(session_id)
    if record is None:
        return []
    print(f"session {session_id[:8]}: {record.state}, {len(record.turns)} turns", flush=True)
    return [
        (after.start_ms - before.end_ms) / 1000
        for before, after in itertools.pairwise(record.turns)
        if before.speaker == "candidate" and after.speaker == "interviewer"
    ]
