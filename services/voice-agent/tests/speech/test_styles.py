"""Each interviewer style sounds different: length and pitch of the same lines, measured."""

from __future__ import annotations

import itertools
import math
from typing import get_args

import numpy as np
import pytest

from common.events import Style
from voice_agent.domain import TtsProsody
from voice_agent.speech import PiperTTS
from voice_agent.speech.measure import mean_pitch_hz, semitones

LINES = (
    "Could you tell me a bit more about how you would handle that?",
    "Thanks, that was a clear answer. Here's the next question.",
    "Take your time, there is no rush at all.",
)


@pytest.fixture(scope="module")
def heard(piper: PiperTTS) -> dict[Style, tuple[float, float]]:
    """Seconds and mean pitch (Hz) of the lines in each style, over two renderings."""
    prosody = TtsProsody()
    heard: dict[Style, tuple[float, float]] = {}
    for style in get_args(Style):
        voice = piper.with_controls(prosody.piper(style))
        seconds, pitches = 0.0, []
        for _ in range(2):  # Piper varies from one rendering to the next
            for line in LINES:
                pcm = b"".join(voice.render(p) for p in voice.sentences(line))
                audio = np.frombuffer(pcm, dtype=np.int16)
                seconds += audio.size / piper.sample_rate
                pitches.append(mean_pitch_hz(audio, piper.sample_rate))
        heard[style] = (seconds, float(np.exp(np.mean(np.log(pitches)))))
        print(f"{style}: {seconds:.2f} s, {heard[style][1]:.0f} Hz")
    return heard


def length(heard: dict[Style, tuple[float, float]], style: Style) -> float:
    return heard[style][0] / heard["neutral"][0]


def pitch(heard: dict[Style, tuple[float, float]], style: Style) -> float:
    return semitones(heard[style][1], heard["neutral"][1])


def test_calm_styles_are_slower_and_probing_never_is(
    heard: dict[Style, tuple[float, float]],
) -> None:
    assert length(heard, "empathetic") > 1.06
    assert length(heard, "probing") < 1.0
    assert length(heard, "warm") > 1.0 > length(heard, "encouraging")


def test_bright_styles_are_higher_and_empathetic_lower(
    heard: dict[Style, tuple[float, float]],
) -> None:
    assert pitch(heard, "encouraging") > 1.0
    assert pitch(heard, "warm") > 0.3
    assert pitch(heard, "empathetic") < -0.5
    assert pitch(heard, "encouraging") > pitch(heard, "warm") > pitch(heard, "empathetic")


def test_any_two_styles_differ_in_length_or_pitch(heard: dict[Style, tuple[float, float]]) -> None:
    for a, b in itertools.combinations(heard, 2):
        apart_in_length = abs(math.log(heard[a][0] / heard[b][0])) >= math.log(1.04)
        apart_in_pitch = abs(semitones(heard[a][1], heard[b][1])) >= 0.6
        assert apart_in_length or apart_in_pitch, f"{a} and {b} sound alike"


def test_the_pitch_meter_hears_a_known_tone() -> None:
    rate = 22_050
    t = np.arange(rate) / rate
    tone = (8_000 * np.sin(2 * np.pi * 120 * t)).astype(np.int16)
    assert mean_pitch_hz(tone, rate) == pytest.approx(120, rel=0.02)
    assert math.isnan(mean_pitch_hz(np.zeros(rate, dtype=np.int16), rate))
