"""A reply foreseen while the candidate pauses plays from audio rendered ahead of time."""

from __future__ import annotations

import asyncio
from typing import get_args

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from common.events import InterviewSpec, Style
from voice_agent.domain import Conductor, Phase
from voice_agent.speech.voice import StyledVoice
from voice_agent.worker.interviewer import Interviewer, SessionClock
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.prepared_speech import PreparedSpeech, without_leading_silence
from voice_agent.worker.timeline import ReplyTimeline

from .conftest import SESSION_ID

RATE = 16_000
LEAD_S = 0.06  # the silence a Piper line opens with


class ToneVoice(tts.TTS[str]):
    """A voice that says every text as 60 ms of silence and then 300 ms of tone."""

    def __init__(self) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False), sample_rate=RATE, num_channels=1
        )
        self.spoken: list[str] = []

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        self.spoken.append(text)
        return _ToneStream(tts=self, input_text=text, conn_options=conn_options)


class _ToneStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=utils.shortuuid("tone_"),
            sample_rate=RATE,
            num_channels=1,
            mime_type="audio/pcm",
        )
        silence = np.zeros(round(LEAD_S * RATE), dtype=np.int16)
        tone = (8000 * np.sin(np.arange(round(0.3 * RATE)) * 2 * np.pi * 440 / RATE)).astype(
            np.int16
        )
        output_emitter.push(np.concatenate([silence, tone]).tobytes())
        output_emitter.flush()


@pytest.fixture
def voice() -> ToneVoice:
    return ToneVoice()


@pytest.fixture
def prepared(voice: ToneVoice) -> PreparedSpeech:
    styles: tuple[Style, ...] = get_args(Style)
    return PreparedSpeech(StyledVoice(dict.fromkeys(styles, voice)))


async def played(frames: object) -> np.ndarray:
    chunks = [np.frombuffer(f.data, dtype=np.int16) async for f in frames]  # type: ignore[attr-defined]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


async def test_a_prepared_line_plays_without_being_synthesized_again(
    prepared: PreparedSpeech, voice: ToneVoice
) -> None:
    prepared.prepare("warm", "Thanks, that covered it well.")
    await asyncio.sleep(0.05)

    audio = await played(prepared.frames("warm", "Thanks, that covered it well."))

    assert voice.spoken == ["Thanks, that covered it well."]
    assert audio.size > 0.29 * RATE
    assert (prepared.hits, prepared.misses) == (1, 0)


async def test_a_line_nobody_foresaw_is_synthesized_when_it_is_said(
    prepared: PreparedSpeech, voice: ToneVoice
) -> None:
    prepared.prepare("warm", "Thanks, that covered it well.")
    audio = await played(prepared.frames("neutral", "Next question."))

    assert audio.size > 0.29 * RATE
    assert sorted(voice.spoken) == ["Next question.", "Thanks, that covered it well."]
    assert (prepared.hits, prepared.misses) == (0, 1)


async def test_a_line_still_rendering_starts_playing_as_soon_as_it_is_ready(
    prepared: PreparedSpeech, voice: ToneVoice
) -> None:
    prepared.prepare("neutral", "Next question.")
    audio = await played(prepared.frames("neutral", "Next question."))

    assert voice.spoken == ["Next question."]
    assert audio.size > 0.29 * RATE


async def test_the_silence_before_the_first_word_is_cut() -> None:
    async def line() -> object:
        silence = np.zeros(round(LEAD_S * RATE), dtype=np.int16)
        tone = np.full(RATE // 10, 4000, dtype=np.int16)
        yield rtc.AudioFrame(silence[: RATE // 50].tobytes(), RATE, 1, RATE // 50)
        rest = np.concatenate([silence[RATE // 50 :], tone])
        yield rtc.AudioFrame(rest.tobytes(), RATE, 1, len(rest))

    audio = await played(without_leading_silence(line()))  # type: ignore[arg-type]

    assert np.flatnonzero(audio)[0] == round(0.01 * RATE)  # 10 ms of lead kept, not 60
    assert np.count_nonzero(audio) == RATE // 10


async def test_the_interviewer_gets_the_likely_reply_ready_while_the_candidate_pauses(
    spec: InterviewSpec, prepared: PreparedSpeech, voice: ToneVoice
) -> None:
    conductor = Conductor(spec, seed=7)
    conductor.start(0)
    journal = TranscriptJournal(_NoStore(), SESSION_ID, lambda: conductor.turns)
    interviewer = Interviewer(
        conductor, journal, SessionClock(0.0, now=lambda: 30.0), prepared=prepared
    )
    answer = "I would put every value in a hash set."

    interviewer.anticipate(answer)
    await asyncio.sleep(0.05)

    reply = conductor.likely_reply(answer, 30_000, 30_000)
    assert [line.text for line in reply] == voice.spoken
    assert all(prepared.is_prepared(line.style, line.text) for line in reply)
    assert conductor.phase is Phase.LISTENING
    assert len(conductor.turns) == 2  # greeting and question: nothing was said yet


def test_a_timeline_counts_each_stage_from_the_end_of_speech() -> None:
    timeline = ReplyTimeline(speech_ended=100.0, vad_end=100.5, turn_end=100.55)
    timeline.first_frame = 100.6

    assert timeline.since_speech_end() == pytest.approx(
        {"vad_end": 0.5, "turn_end": 0.55, "first_frame": 0.6}
    )


class _NoStore:
    """The interviewer never writes in these tests: nothing is said."""

    async def append_turn(self, *args: object, **kwargs: object) -> bool:
        raise AssertionError("nothing should be stored")
