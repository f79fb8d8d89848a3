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
import sys
import time

from voice_rig import (
    THREE_PARTS,
    BenchQuestion,
    bench_settings,
    candidate_session,
    load_average,
    pauses_inside_answers,
    percentile,
    rooms_for,
    stack_missing,
    worker_in_process,
)

from common.mongo import open_client
from voice_agent.livekit_rooms import LiveKitRooms
from voice_agent.repository import MongoSessionStore
from voice_agent.worker.settings import InterviewerSettings

PAUSE_S = 3.0
# What the interviewer's back-channel coach logs of each pause: what it knew, and why it stayed
# quiet when it did (``declined_by``).
PAUSE_FIELDS = (
    "pause_ms",
    "last_words",
    "sounds_unfinished",
    "audio_end_of_turn_probability",
    "finishing_probability",
    "declined_by",
    "clip",
)


class PausePrinter(logging.Handler):
    """Prints the coach's note of each pause as it is logged."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "candidate pause":
            fields = ", ".join(f"{f}={getattr(record, f, None)!r}" for f in PAUSE_FIELDS)
            print(f"  pause: {fields}", flush=True)


async def one_session(
    settings: InterviewerSettings,
    store: MongoSessionStore,
    rooms: LiveKitRooms,
    bank: tuple[BenchQuestion, ...],
) -> tuple[list[float], int]:
    """Onsets of the back-channels heard in one interview, and the pauses that got none."""
    async with candidate_session(settings, store, rooms, bank, pause_s=PAUSE_S) as (
        session_id,
        candidate,
    ):
        try:
            await candidate.interview(within_s=90 + 60 * len(bank))
        except TimeoutError:
            # The pauses heard so far still count.
            heard = [h.text for h in candidate.heard]
            print(f"session {session_id[:8]}: not over in time; heard {heard}", flush=True)
    onsets: list[float] = []
    missed = 0
    inside = pauses_inside_answers(bank)
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
    coach_log = logging.getLogger("voice_agent.worker.backchannels")
    coach_log.setLevel(logging.INFO)
    coach_log.addHandler(PausePrinter())
    coach_log.propagate = False
    if stack_missing("voice_backchannel_onset"):
        return 0
    # A spare slot: the last interview's job may still be winding down when the next one is
    # dispatched, and LiveKit drops a dispatch no worker can take (a session then hears nothing).
    settings = bench_settings("bench-backchannel", max_sessions=2)
    rooms = rooms_for(settings)
    onsets: list[float] = []
    missed = 0
    started = time.perf_counter()
    try:
        async with (
            worker_in_process(settings),
            open_client(settings.mongodb_uri, "bench-voice") as client,
        ):
            store = MongoSessionStore(client[settings.database]["sessions"])
            for _ in range(sessions):
                heard, none = await one_session(settings, store, rooms, THREE_PARTS[:count])
                onsets += heard
                missed += none
    finally:
        await rooms.aclose()
    print(
        f"{len(onsets) + missed} mid-answer pauses in {time.perf_counter() - started:.0f} s; "
        f"{load_average()}"
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
    parser.add_argument("--questions", type=int, default=3, choices=range(1, len(THREE_PARTS) + 1))
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.sessions, args.questions)))
