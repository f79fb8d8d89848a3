"""The offline voice speaks, and the offline recognizer understands it: Piper to pocketsphinx."""

from __future__ import annotations

import time
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import APIError, stt, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.plugins import silero

from voice_agent.domain import PiperControls, TtsProsody
from voice_agent.speech import (
    EspeakTTS,
    IncrementalSphinx,
    LanguageModel,
    PiperTTS,
    SphinxSTT,
    espeak_available,
    to_mono_16k,
    word_error_rate,
)
from voice_agent.speech.voice import StyledVoice, offline_voice

# What a candidate might answer to the interview's two questions.
ANSWERS = (
    "I would use a hash set and check each value, so the time complexity is linear.",
    "The trade-off is memory, because the set grows with the list.",
    "I would put a cache in front of the database to reduce latency for repeated reads.",
    "To handle cache invalidation I would delete the key when the data changes.",
)


async def speak(voice: tts.TTS[Any], text: str) -> rtc.AudioFrame:
    return await voice.synthesize(text).collect()


async def test_recognizer_understands_the_interviewer_voice(
    piper: PiperTTS, recognizer: SphinxSTT
) -> None:
    rates = []
    for answer in ANSWERS:
        event = await recognizer.recognize(await speak(piper, answer))
        heard = event.alternatives[0]
        rate = word_error_rate(answer, heard.text)
        print(f"WER {rate:.2f} conf {heard.confidence:.2f}: {heard.text!r}")
        rates.append(rate)
        assert 0.0 < heard.confidence <= 1.0
    mean = sum(rates) / len(rates)
    print(f"mean WER over {len(rates)} answers: {mean:.3f}")
    # Piper's voice varies from run to run, and so does the recognizer's score: the bounds
    # hold the measured 0.15-0.25 with room to spare.
    assert mean <= 0.3
    assert max(rates) <= 0.6


async def test_interview_language_model_knows_the_technical_words(
    piper: PiperTTS, recognizer: SphinxSTT
) -> None:
    answer = "I would run Redis in front of PostgreSQL on Kubernetes."
    audio = to_mono_16k(await speak(piper, answer))
    domain_text, _ = recognizer.transcribe(audio)
    general_text, _ = SphinxSTT().transcribe(audio)
    domain, general = word_error_rate(answer, domain_text), word_error_rate(answer, general_text)
    print(f"interview model WER {domain:.2f} ({domain_text!r}); general {general:.2f}")
    assert {"redis", "postgresql", "kubernetes"} <= set(domain_text.split())
    assert domain < general


async def test_controls_change_the_pace_of_the_voice(piper: PiperTTS) -> None:
    line = "Take your time, there is no rush at all."
    slow = await speak(piper.with_controls(PiperControls(1.4, 0.667, 0.8)), line)
    fast = await speak(piper.with_controls(PiperControls(0.75, 0.667, 0.8)), line)
    print(f"length_scale 1.4: {slow.duration:.2f}s, 0.75: {fast.duration:.2f}s")
    assert slow.duration > fast.duration * 1.3


async def test_every_style_speaks_at_a_natural_length(piper: PiperTTS) -> None:
    prosody = TtsProsody()
    line = "Thanks, that was a clear answer."
    for style in ("warm", "neutral", "encouraging", "empathetic", "probing"):
        audio = await speak(piper.with_controls(prosody.piper(style)), line)
        print(f"{style}: {audio.duration:.2f}s")
        assert 1.2 < audio.duration < 3.5


async def test_recognizer_takes_the_rate_the_room_delivers(
    piper: PiperTTS, recognizer: SphinxSTT
) -> None:
    answer = ANSWERS[2]
    spoken = await speak(piper, answer)
    resampler = rtc.AudioResampler(spoken.sample_rate, 48_000, num_channels=1)
    frames = [*resampler.push(spoken), *resampler.flush()]
    event = await recognizer.recognize(frames)
    assert word_error_rate(answer, event.alternatives[0].text) <= 0.2


class _BrokenVoice(tts.TTS[str]):
    """A voice whose engine fails on every line, as a crashed Piper would."""

    def __init__(self) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False), sample_rate=22_050, num_channels=1
        )

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _BrokenStream(tts=self, input_text=text, conn_options=conn_options)


class _BrokenStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        raise APIError("the voice engine crashed", retryable=False)


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is installed by scripts/bootstrap")
async def test_espeak_speaks_when_the_main_voice_fails(recognizer: SphinxSTT) -> None:
    voice = tts.FallbackAdapter([_BrokenVoice(), EspeakTTS()], max_retry_per_tts=0)
    audio = await speak(voice, "Could you tell me more about the cache?")
    assert audio.duration > 1.0
    heard = (await recognizer.recognize(audio)).alternatives[0].text
    print(f"espeak heard as {heard!r}")
    assert "cache" in heard.split()


async def test_offline_voice_has_every_style(piper: PiperTTS) -> None:
    voice = offline_voice(piper=piper)
    audio = await speak(voice.for_style("probing"), "Why did you choose that?")
    assert audio.duration > 0.5


def test_a_voice_needs_every_style(piper: PiperTTS) -> None:
    with pytest.raises(ValueError, match=r"missing a TTS for: .*warm"):
        StyledVoice({"neutral": piper})


def test_language_model_spells_out_its_vocabulary(language_model: LanguageModel) -> None:
    entries = dict(line.split(" ", 1) for line in language_model.dictionary.splitlines())
    assert entries["kubernetes"].startswith("K UW B ER N")
    assert "invalidation" in language_model.vocabulary
    assert "\\3-grams:" in language_model.arpa


async def test_streaming_recognizer_has_the_text_as_the_answer_ends(
    piper: PiperTTS, recognizer: SphinxSTT
) -> None:
    answer = ANSWERS[2]
    spoken = await speak(piper, answer)
    silence = rtc.AudioFrame(
        b"\x00\x00" * spoken.sample_rate, spoken.sample_rate, 1, spoken.sample_rate
    )
    streaming = IncrementalSphinx(recognizer, silero.VAD.load(min_silence_duration=0.5))
    stream = streaming.stream()
    step = spoken.sample_rate // 50  # 20 ms frames, as a microphone sends them
    for audio in (spoken, silence):
        pcm = bytes(audio.data)
        for start in range(0, len(pcm) - step * 2 + 1, step * 2):
            stream.push_frame(
                rtc.AudioFrame(pcm[start : start + step * 2], audio.sample_rate, 1, step)
            )
    stream.end_input()
    ended_at = finals_at = 0.0
    text = ""
    async for event in stream:
        if event.type == stt.SpeechEventType.END_OF_SPEECH:
            ended_at = time.perf_counter()
        elif event.type == stt.SpeechEventType.FINAL_TRANSCRIPT:
            finals_at = time.perf_counter()
            text = event.alternatives[0].text
    rate = word_error_rate(answer, text)
    print(f"streamed WER {rate:.2f}, text {finals_at - ended_at:.3f}s after the end: {text!r}")
    assert rate <= 0.3
    assert finals_at - ended_at < 0.5
