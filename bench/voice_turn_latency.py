"""Voice turn latency: from the end of the candidate's speech to the first audio of the reply,
p50/p95, over the real LiveKit server with the offline speech stack.

Needs the local stack (`make dev`, then `source .stack/env`). The interviewer worker runs in this
process (jobs in threads) under an agent name of its own; sessions are stored in the real
MongoDB-compatible server and rooms opened through the LiveKit server API, as the sessions API
does. A scripted candidate joins each room, answers every question with Piper speech and says
"that's all" to anything else; the delay is measured where a candidate would feel it, at the
candidate's end of the connection: from the last audible sample of the answer sent (Piper's
trailing silence does not count) to the first audible sample of the reply received. The
worker's own figure (stored turn times) is printed too, and where the time goes: each stage of
every reply (``voice_agent.worker.timeline``, including the worker's own estimate of the end of
the speech) after that same last audible sample, with the machine's load average beside.

Run: uv run python bench/voice_turn_latency.py [--sessions 2] [--questions 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time

from voice_rig import (
    ONE_PART,
    BenchQuestion,
    bench_settings,
    candidate_session,
    load_average,
    percentile,
    rooms_for,
    stack_missing,
    stored_reply_delays,
    worker_in_process,
)

from common.mongo import open_client
from voice_agent.livekit_rooms import LiveKitRooms
from voice_agent.repository import MongoSessionStore
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.timeline import STAGES


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
    """Each stage's p50/p95 after the candidate's last audible sample (one clock: this
    machine's), the worker's own estimate of that moment first."""
    rows: dict[str, list[float]] = {stage: [] for stage in ("speech_ended", *STAGES, "heard")}
    for done, reply in heard:
        # The worker's timeline of this reply: the one whose end of speech is nearest.
        near = [
            (abs(ended - done), timeline)
            for timeline in timelines
            if isinstance(ended := timeline.get("speech_ended"), float) and abs(ended - done) < 1
        ]
        if near:
            timeline = min(near, key=lambda pair: pair[0])[1]
            for stage in ("speech_ended", *STAGES):
                at = timeline.get(stage)
                if isinstance(at, float):
                    rows[stage].append(at - done)
        rows["heard"].append(reply - done)
    print("where the time goes, after the candidate's last audible sample was sent:")
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


async def one_session(
    settings: InterviewerSettings,
    store: MongoSessionStore,
    rooms: LiveKitRooms,
    bank: tuple[BenchQuestion, ...],
) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    async with candidate_session(settings, store, rooms, bank) as (session_id, candidate):
        try:
            await candidate.interview(within_s=60 + 40 * len(bank))
        except TimeoutError:
            # A loaded machine can stretch an interview past its time: keep what was measured.
            print(f"session {session_id[:8]}: timed out after {len(candidate.exchanges)} answers")
    client_side = [e.reply_delay_s for e in candidate.exchanges if e.reply_delay_s is not None]
    heard = [
        (e.finished_speaking_at, e.reply_started_at)
        for e in candidate.exchanges
        if e.reply_started_at is not None
    ]
    return client_side, await stored_reply_delays(store, session_id), heard


async def main(sessions: int, count: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    timelines = Timelines()
    timeline_log = logging.getLogger("voice_agent.worker.timeline")
    timeline_log.setLevel(logging.INFO)
    timeline_log.addHandler(timelines)
    timeline_log.propagate = False
    if stack_missing("voice_turn_latency"):
        return 0
    settings = bench_settings("bench-interviewer")
    rooms = rooms_for(settings)
    client_side: list[float] = []
    server_side: list[float] = []
    heard: list[tuple[float, float]] = []
    load_before = load_average()
    started = time.perf_counter()
    try:
        async with (
            worker_in_process(settings),
            open_client(settings.mongodb_uri, "bench-voice") as client,
        ):
            store = MongoSessionStore(client[settings.database]["sessions"])
            for _ in range(sessions):
                replies, stored, pairs = await one_session(settings, store, rooms, ONE_PART[:count])
                client_side += replies
                server_side += stored
                heard += pairs
    finally:
        await rooms.aclose()
    print(
        f"{len(client_side)} replies in {time.perf_counter() - started:.0f} s; "
        f"{load_before} before, {load_average()} after"
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
    parser.add_argument("--questions", type=int, default=5, choices=range(1, len(ONE_PART) + 1))
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.questions)))
