"""How long the offline voice's own pauses inside an answer last: the floor under the reply
latency that bench/voice_turn_latency.py measures.

An interviewer that never cuts an answer short must hear more silence than the longest pause a
candidate makes inside one before it may take its turn. The benchmarks' candidate is Piper, so
this renders every answer the voice benchmarks and the browser's fake microphone give, as the
scripted candidate does (the whole text at once, at 16 kHz), and measures the silences between
audible 10-ms frames (the candidate's own loudness threshold, about -40 dBFS). It prints the
pauses' p50/p95/max and what they imply for the reply latency's p50 with the stages measured
after the turn ends (``--transport-s``, ``--reply-s``; defaults from the README's figures).

No servers needed. Run: uv run python bench/voice_pauses.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import numpy as np
from voice_rig import ONE_PART, THREE_PARTS, load_average, percentile

from voice_agent.speech import PiperTTS
from voice_agent.worker.candidate import SPEECH_RMS, render

# The browser tests' fake microphone answer (tests/integration), from the repository's root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.integration.fake_microphone import ANSWER

RATE = 16_000
FRAME = RATE // 100
# Shorter gaps are the stops inside words ("t", "k"): not a pause a listener hears.
MIN_PAUSE_S = 0.15


def answers() -> list[str]:
    """Each answer's text as one breath (a part's pause to think is long on purpose)."""
    parts = [part for q in (*ONE_PART, *THREE_PARTS) for part in q.answer]
    return [*parts, *ANSWER]


def pauses(pcm: np.ndarray) -> list[float]:
    """The silences between audible 10-ms frames, in seconds, at least ``MIN_PAUSE_S`` long."""
    frames = pcm[: len(pcm) // FRAME * FRAME].astype(np.float64).reshape(-1, FRAME)
    loud = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) > SPEECH_RMS)
    gaps = (np.diff(loud) - 1) * FRAME / RATE
    return [float(g) for g in gaps if g >= MIN_PAUSE_S]


async def main(transport_s: float, reply_s: float) -> int:
    voice = PiperTTS()
    started = time.perf_counter()
    texts = answers()
    rendered = [np.frombuffer(await render(voice, text, RATE), dtype=np.int16) for text in texts]
    found = [gap for pcm in rendered for gap in pauses(pcm)]
    if not found:
        print("no pauses found: nothing to report")
        return 1
    longest = max(found)
    print(f"Piper's pauses inside {len(texts)} answers ({len(found)} pauses >= {MIN_PAUSE_S} s):")
    print(
        f"  p50 {percentile(found, 0.5):.2f} s, p95 {percentile(found, 0.95):.2f} s, "
        f"max {longest:.2f} s"
    )
    floor = longest + transport_s + reply_s
    print(
        f"  a turn may end after > {longest:.2f} s of real silence; with {transport_s:.2f} s "
        f"to reach the worker and {reply_s:.2f} s from the decision to the reply heard, no "
        f"reply comes sooner than {floor:.2f} s after the candidate's last sound, even with "
        "an instant recognizer"
    )
    print(f"  ({time.perf_counter() - started:.1f} s, {load_average()})")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport-s", type=float, default=0.06)
    parser.add_argument("--reply-s", type=float, default=0.13)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.transport_s, args.reply_s)))
