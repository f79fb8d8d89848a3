"""A spoken answer for Chromium's fake microphone: silence, Piper speech, silence, as a WAV file.

Chromium plays the file from the start whenever the microphone opens, and loops it
(``--use-file-for-fake-audio-capture``, an absolute path: a relative one records silence). The
test unmutes once the interviewer has asked (the app releases the microphone on mute, so the
file starts over): a short pause to think, the answer, then silence while the interviewer takes
the turn, and the answer again for the follow-up: one loop per question or follow-up.

The answer stops to think once, mid-sentence after "and then": a pause the interviewer
listens through (the turn is not over) and acknowledges with a back-channel ("mhm") on its
second track, which the room shows as its back-channel cue.
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path
from typing import Final

import numpy as np

from voice_agent.speech import PiperTTS

# The answer in parts with a pause to think between them. The first part is long enough (over
# the back-channel rules' quiet start) and trails off, so its pause neither ends the turn nor
# is too early for an "mhm"; the pause is well over the rules' minimum and under the think time.
ANSWER: Final = (
    "In my last project I worked closely with the team on a new payments service, and then",
    "I took the initiative, found the root cause, made a decision to add a test, and shared "
    "what we learned. The result was fewer incidents.",
)
THINK_PAUSE_S: Final = 2.0


def render_answer(
    path: Path,
    parts: tuple[str, ...] = ANSWER,
    *,
    lead_s: float = 5.0,
    think_s: float = THINK_PAUSE_S,
    silence_s: float = 20.0,
) -> float:
    """Write ``lead_s`` of silence, then ``parts`` spoken by Piper with ``think_s`` of silence
    between them, then ``silence_s`` of silence; returns the length in seconds."""
    voice = PiperTTS()
    rate = voice.sample_rate
    pause = np.zeros(int(0.35 * rate), dtype=np.int16).tobytes()
    think = np.zeros(int(think_s * rate), dtype=np.int16).tobytes()
    speech = think.join(
        pause.join(voice.render(sentence) for sentence in voice.sentences(part)) for part in parts
    )
    lead = np.zeros(int(lead_s * rate), dtype=np.int16).tobytes()
    tail = np.zeros(int(silence_s * rate), dtype=np.int16).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(lead + speech + tail)
    return (len(lead) + len(speech) + len(tail)) / 2 / rate


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "answer.wav")
    print(f"{target}: {render_answer(target):.1f} s")
