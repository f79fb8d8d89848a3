"""Interviewer styles, heard: the same lines rendered by the offline voice (Piper) in each style,
with the length relative to neutral and the mean pitch, so the styles can be checked to be
audibly apart (at least 5% in length or a semitone in pitch between any two).

No servers needed. Run: uv run python bench/voice_styles.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from typing import get_args

import numpy as np

from common.events import Style
from voice_agent.domain import TtsProsody
from voice_agent.speech import PiperTTS
from voice_agent.speech.measure import mean_pitch_hz, semitones

LINES = (
    "Could you tell me a bit more about how you would handle that?",
    "Thanks, that was a clear answer. Here's the next question.",
    "Take your time, there is no rush at all.",
)


def main(rounds: int) -> int:
    prosody, piper = TtsProsody(), PiperTTS()
    started = time.perf_counter()
    heard: dict[Style, tuple[float, float]] = {}
    for style in get_args(Style):
        voice = piper.with_controls(prosody.piper(style))
        seconds, pitches = 0.0, []
        for _ in range(rounds):
            for line in LINES:
                pcm = b"".join(voice.render(p) for p in voice.sentences(line))
                audio = np.frombuffer(pcm, dtype=np.int16)
                seconds += audio.size / piper.sample_rate
                pitches.append(mean_pitch_hz(audio, piper.sample_rate))
        heard[style] = (seconds / rounds, float(np.exp(np.mean(np.log(pitches)))))
    neutral_s, neutral_hz = heard["neutral"]
    print(f"{len(LINES)} lines x {rounds} rounds per style, Piper en_US-joe-medium")
    for style, (seconds, hz) in heard.items():
        p = prosody.for_style(style)
        print(
            f"{style:>12}: rate {p.rate:.2f} pitch {p.pitch_semitones:+.1f} st -> "
            f"length x{seconds / neutral_s:.3f}, pitch {hz:.0f} Hz "
            f"({semitones(hz, neutral_hz):+.2f} st)"
        )
    closest = min(
        itertools.combinations(heard, 2),
        key=lambda pair: max(
            abs(math.log(heard[pair[0]][0] / heard[pair[1]][0])) / math.log(1.05),
            abs(semitones(heard[pair[0]][1], heard[pair[1]][1])),
        ),
    )
    a, b = closest
    print(
        f"closest pair: {a}/{b}: length x{heard[a][0] / heard[b][0]:.3f}, "
        f"pitch {semitones(heard[a][1], heard[b][1]):+.2f} st"
    )
    load = os.getloadavg()
    print(
        f"in {time.perf_counter() - started:.0f} s; load average {load[0]:.1f} {load[1]:.1f} "
        f"{load[2]:.1f} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    sys.exit(main(parser.parse_args().rounds))
