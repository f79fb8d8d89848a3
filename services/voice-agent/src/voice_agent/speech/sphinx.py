"""Offline speech-to-text: pocketsphinx on whole utterances, made streaming by Silero VAD."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import AsyncIterable
from pathlib import Path
from typing import Any, Final

import numpy as np
from livekit import rtc
from livekit.agents import stt, utils, vad
from livekit.agents.language import LanguageCode
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)
from pocketsphinx import Decoder  # type: ignore[import-untyped]

from voice_agent.speech.language_model import LanguageModel

SAMPLE_RATE: Final = 16_000  # what the en-us acoustic model was trained on
# Recognizer tokens that are not words: silence, breath and noise markers.
_NOT_WORDS: Final = frozenset({"<s>", "</s>", "<sil>", "[noise]", "[breath]", "[cough]"})


def to_mono_16k(frame: rtc.AudioFrame) -> bytes:
    """16 kHz mono 16-bit PCM of ``frame``, whatever its rate and channels."""
    pcm = np.frombuffer(frame.data, dtype=np.int16)
    if frame.num_channels > 1:
        pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
    if frame.sample_rate == SAMPLE_RATE:
        return pcm.tobytes()
    resampler = rtc.AudioResampler(
        frame.sample_rate, SAMPLE_RATE, num_channels=1, quality=rtc.AudioResamplerQuality.HIGH
    )
    mono = rtc.AudioFrame(pcm.tobytes(), frame.sample_rate, 1, len(pcm))
    return b"".join(bytes(f.data) for f in [*resampler.push(mono), *resampler.flush()])


class SphinxSTT(stt.STT[str]):
    """pocketsphinx (en-us) as a LiveKit STT; recognizes buffered utterances, not streams.

    With a ``LanguageModel`` built for the interview it knows the interview's vocabulary;
    without one it uses pocketsphinx's general English model. Wrap it with ``streaming`` (a
    VAD cuts the candidate's audio into utterances) to use it in an ``AgentSession``.
    """

    def __init__(self, language_model: LanguageModel | None = None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._language_model = language_model
        self._decoder: Decoder | None = None
        # One decoder decodes one utterance at a time.
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return "en-us+interview-lm" if self._language_model else "en-us"

    @property
    def provider(self) -> str:
        return "pocketsphinx"

    def prewarm(self) -> None:
        """Load the acoustic model and the language model now rather than on the first turn."""
        with self._lock:
            self._loaded()

    def transcribe(self, pcm_16k: bytes) -> tuple[str, float]:
        """Text and confidence (mean word posterior, 0..1) of one utterance of 16 kHz PCM."""
        with self._lock:
            decoder = self._loaded()
            decoder.start_utt()
            decoder.process_raw(pcm_16k, no_search=False, full_utt=True)
            decoder.end_utt()
            return self._result(decoder)

    # Incremental recognition: the utterance is decoded while it is spoken, so its text is
    # ready a moment after it ends instead of after a pass over all of it. One stream at a time.

    def begin(self) -> None:
        """Start an utterance."""
        with self._lock:
            self._loaded().start_utt()

    def feed(self, pcm_16k: bytes) -> None:
        """Decode the next piece of the utterance (16 kHz PCM)."""
        with self._lock:
            self._loaded().process_raw(pcm_16k, no_search=False, full_utt=False)

    def finish(self, last_pcm_16k: bytes = b"") -> tuple[str, float]:
        """Decode the utterance's last piece (if any) and end it: its text and confidence."""
        with self._lock:
            decoder = self._loaded()
            if last_pcm_16k:
                decoder.process_raw(last_pcm_16k, no_search=False, full_utt=False)
            decoder.end_utt()
            return self._result(decoder)

    @staticmethod
    def _result(decoder: Decoder) -> tuple[str, float]:
        hypothesis = decoder.hyp()
        if hypothesis is None:
            return "", 0.0
        posteriors = [
            min(1.0, max(0.0, float(segment.prob)))
            for segment in decoder.seg()
            if segment.word.lower() not in _NOT_WORDS and not segment.word.startswith("++")
        ]
        words = [w for w in hypothesis.hypstr.split() if w.lower() not in _NOT_WORDS]
        confidence = sum(posteriors) / len(posteriors) if posteriors else 0.0
        return " ".join(words), round(confidence, 3)

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        frame = rtc.combine_audio_frames(buffer)
        text, confidence = await asyncio.to_thread(self.transcribe, to_mono_16k(frame))
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=utils.shortuuid("sphinx_"),
            alternatives=[
                stt.SpeechData(
                    language=LanguageCode("en"),
                    text=text,
                    confidence=confidence,
                    end_time=frame.duration,
                )
            ],
        )

    def _loaded(self) -> Decoder:
        if self._decoder is None:
            if self._language_model is None:
                self._decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
            else:
                # The decoder reads its models from files; it keeps nothing open afterwards.
                with tempfile.TemporaryDirectory(prefix="mocksy-lm-") as folder:
                    lm_path = Path(folder, "interview.lm")
                    dict_path = Path(folder, "interview.dict")
                    lm_path.write_text(self._language_model.arpa, encoding="utf-8")
                    dict_path.write_text(self._language_model.dictionary, encoding="utf-8")
                    self._decoder = Decoder(
                        samprate=SAMPLE_RATE,
                        lm=str(lm_path),
                        dict=str(dict_path),
                        # No second (flat-lexicon) pass: it ran at the end of every utterance,
                        # 0.1-0.6 s on two cores before the interviewer could reply, and made no
                        # word more right with an interview's model (word error rate 0.236
                        # without it, 0.242 with it, 12 Piper sentences).
                        fwdflat=False,
                        loglevel="FATAL",
                    )
        return self._decoder


def streaming(recognizer: stt.STT[Any], voice_activity: vad.VAD) -> stt.StreamAdapter:
    """``recognizer`` made streaming: the VAD cuts the audio into utterances it recognizes."""
    return stt.StreamAdapter(stt=recognizer, vad=voice_activity)


class IncrementalSphinx(stt.STT[str]):
    """pocketsphinx streaming: utterances cut by the VAD, each decoded while it is spoken.

    ``streaming(SphinxSTT(...), vad)`` decodes an utterance only once it has ended, which on
    two cores costs 0.1-0.2 s per second of speech before the interviewer can reply; here the
    text is ready within a few tens of milliseconds of the end.
    """

    def __init__(self, recognizer: SphinxSTT, voice_activity: vad.VAD) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self.recognizer = recognizer
        self.vad = voice_activity

    @property
    def model(self) -> str:
        return self.recognizer.model

    @property
    def provider(self) -> str:
        return self.recognizer.provider

    def prewarm(self) -> None:
        self.recognizer.prewarm()

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        return await self.recognizer.recognize(buffer, language=language)

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> stt.RecognizeStream:
        return _IncrementalStream(self, conn_options=conn_options)


# Decoded in slices of this much audio: fewer hops to the decoding thread, little delay.
_SLICE_BYTES: Final = SAMPLE_RATE * 2 // 10  # 100 ms


class _IncrementalStream(stt.RecognizeStream):
    def __init__(self, owner: IncrementalSphinx, *, conn_options: APIConnectOptions) -> None:
        super().__init__(stt=owner, conn_options=conn_options, sample_rate=SAMPLE_RATE)
        self._owner = owner

    async def _metrics_monitor_task(self, event_aiter: AsyncIterable[stt.SpeechEvent]) -> None:
        async for _ in event_aiter:
            pass  # recognition happens here, not in a billed service: nothing to meter

    async def _run(self) -> None:
        vad_stream = self._owner.vad.stream()
        recognizer = self._owner.recognizer

        async def forward() -> None:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    vad_stream.flush()
                else:
                    vad_stream.push_frame(item)
            vad_stream.end_input()

        async def decode() -> None:
            speaking = False
            fed_until = 0
            pending = bytearray()
            async for event in vad_stream:
                if event.type == vad.VADEventType.START_OF_SPEECH:
                    self._event_ch.send_nowait(
                        stt.SpeechEvent(type=stt.SpeechEventType.START_OF_SPEECH)
                    )
                    await asyncio.to_thread(recognizer.begin)
                    speaking = True
                    # The speech so far, with the VAD's padding before it.
                    pending = bytearray(b"".join(bytes(f.data) for f in event.frames))
                    fed_until = event.samples_index
                elif event.type == vad.VADEventType.INFERENCE_DONE and speaking:
                    if event.samples_index > fed_until:
                        pending += b"".join(bytes(f.data) for f in event.frames)
                        fed_until = event.samples_index
                elif event.type == vad.VADEventType.END_OF_SPEECH and speaking:
                    speaking = False
                    speech_end = time.time() - event.silence_duration - event.inference_duration
                    self._event_ch.send_nowait(
                        stt.SpeechEvent(
                            type=stt.SpeechEventType.END_OF_SPEECH, speech_end_time=speech_end
                        )
                    )
                    # One hop to the decoding thread: on a busy machine each one costs.
                    text, confidence = await asyncio.to_thread(recognizer.finish, bytes(pending))
                    pending = bytearray()
                    if text:
                        self._event_ch.send_nowait(
                            stt.SpeechEvent(
                                type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                                request_id=utils.shortuuid("sphinx_"),
                                alternatives=[
                                    stt.SpeechData(
                                        language=LanguageCode("en"),
                                        text=text,
                                        confidence=confidence,
                                    )
                                ],
                                speech_end_time=speech_end,
                            )
                        )
                    continue
                if speaking and len(pending) >= _SLICE_BYTES:
                    await asyncio.to_thread(recognizer.feed, bytes(pending))
                    pending = bytearray()

        tasks = [
            asyncio.create_task(forward(), name="sphinx-forward"),
            asyncio.create_task(decode(), name="sphinx-decode"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            await utils.aio.cancel_and_wait(*tasks)
            await vad_stream.aclose()
