"""What a listener would measure of a voice: how long it speaks and how high."""

from __future__ import annotations

import math

import numpy as np

# A speaking voice's fundamental lies between these (Hz).
LOWEST_PITCH = 60.0
HIGHEST_PITCH = 400.0


def mean_pitch_hz(pcm: np.ndarray, sample_rate: int) -> float:
    """Geometric mean of the fundamental frequency over the voiced 40 ms windows of ``pcm``.

    Autocorrelation per window (10 ms apart); a window counts as voiced when it is not quiet
    and repeats itself at some lag within the speaking range. NaN when nothing is voiced.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
    x = pcm.astype(np.float64)
    window, hop = int(0.04 * sample_rate), int(0.01 * sample_rate)
    shortest, longest = int(sample_rate / HIGHEST_PITCH), int(sample_rate / LOWEST_PITCH)
    if x.size < window:
        return math.nan
    quiet = 0.3 * float(np.sqrt(np.mean(x**2)))
    pitches = []
    for start in range(0, x.size - window, hop):
        w = x[start : start + window]
        w = w - w.mean()
        if float(np.sqrt(np.mean(w**2))) < quiet:
            continue
        ac = np.correlate(w, w, "full")[window - 1 :]
        if ac[0] <= 0:
            continue
        lag = int(np.argmax(ac[shortest:longest])) + shortest
        if ac[lag] / ac[0] > 0.5:
            pitches.append(sample_rate / lag)
    return float(np.exp(np.mean(np.log(pitches)))) if pitches else math.nan


def semitones(higher_hz: float, lower_hz: float) -> float:
    """How many semitones ``higher_hz`` lies above ``lower_hz`` (negative when below)."""
    return 12.0 * math.log2(higher_hz / lower_hz)
