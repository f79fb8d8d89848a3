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
import logging
import os
import sys
import time
import uuid

from voice_rig import (
    DATABASE,
    ONE_PART,
    BenchQuestion,
    candidate_session,
    percentile,
    rooms_for,
    stack_missing,
    stored_reply_delays,
)

from common.mongo import open_client
from voice_agent.livekit_rooms import LiveKitRooms
from voice_agent.repository import MongoSessionStore
from voice_agent.speech import PiperTTS
from voice_agent.worker.settings import InterviewerSettings

TARGET_P95_S = 1.5


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
    bank: tuple[BenchQuestion, ...],
) -> tuple[list[float], list[float], bool]:
    """Reply delays heard and stored in one interview, and whether it finished in time."""
    finished = True
    async with candidate_session(settings, store, rooms, bank, voice=voice) as (
        session_id,
        candidate,
    ):
        try:
            await candidate.interview(within_s=120 + 40 * len(bank))
        except TimeoutError:
            finished = False
            print(f"session {session_id[:8]}: did not finish in time", flush=True)
    heard = [e.reply_delay_s for e in candidate.exchanges if e.reply_delay_s is not None]
    return heard, await stored_reply_delays(store, session_id), finished


async def level(
    n: int,
    settings: InterviewerSettings,
    store: MongoSessionStore,
    rooms: LiveKitRooms,
    voice: PiperTTS,
    count: int,
) -> tuple[list[float], list[float], int]:
    """Reply delays heard and stored at ``n`` interviews at once, and how many did not finish."""
    results = await asyncio.gather(
        *(one_session(settings, store, rooms, voice, ONE_PART[:count]) for _ in range(n))
    )
    return (
        [d for h, _, _ in results for d in h],
        [d for _, s, _ in results for d in s],
        sum(not finished for _, _, finished in results),
    )


async def main(max_level: int, count: int) -> int:
    logging.basicConfig(level=logging.WARNING)
    if stack_missing("voice_capacity"):
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
    rooms = rooms_for(settings)
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
                heard, stored, unfinished = await level(n, settings, store, rooms, voice, count)
                load = os.getloadavg()
                if not heard:
                    print(f"{n} concurrent: no replies heard (load {load[0]:.1f})")
                    break
                # An interviewer that spoke before the answer ended did not reply fast: it cut in.
                cut_in = sum(d < 0 for d in heard)
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
                if unfinished or cut_in:
                    print(
                        f"{n} concurrent: {unfinished} interview(s) not over in time, "
                        f"{cut_in} reply(ies) over the candidate's answer: not held",
                        flush=True,
                    )
                    break
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
    parser.add_argument("--questions", type=int, default=3, choices=range(1, len(ONE_PART) + 1))
    parser.add_argument("--worker", metavar="AGENT_NAME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.max_level)
        sys.exit(0)
    sys.exit(asyncio.run(main(args.max_level, args.questions)))
