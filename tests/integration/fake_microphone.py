"""A spoken answer for Chromium's fake microphone: Piper speech, then silence, as a WAV file.

Chromium loops the file (``--use-file-for-fake-audio-capture``), so the candidate answers,
falls silent long enough for the interviewer to take the turn, and answers again: one loop
per question or follow-up.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path
from typing import Final

import numpy as np

from voice_agent.speech import PiperTTS

ANSWER: Final = (
    "In my last project a bug I introduced reached users. I acknowledged it quickly, "
    "rolled back the release, and found the root cause in a missing check. "
    "I organized the team, made a decision to add a test, and we shared what we learned. "
    "The result was fewer incidents."
)


def render_answer(path: Path, text: str = ANSWER, *, silence_s: float = 14.0) -> float:
    """Write ``text`` spoken by Piper followed by ``silence_s`` of silence; returns the length."""
    voice = PiperTTS()
    rate = voice.sample_rate
    pauses = np.zeros(int(0.35 * rate), dtype=np.int16).tobytes()
    speech = pauses.join(voice.render(sentence) for sentence in voice.sentences(text))
    tail = np.zeros(int(silence_s * rate), dtype=np.int16).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(speech + tail)
    return (len(speech) + len(tail)) / 2 / rate


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "answer.wav")
    print(f"{target}: {render_answer(target):.1f} s")
