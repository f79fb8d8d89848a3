"""Offline speech-to-text: pocketsphinx on whole utterances, made streaming by Silero VAD."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path
from typing import Any, Final

import numpy as np
from livekit import rtc
from livekit.agents import stt, utils, vad
from livekit.agents.language import LanguageCode
from livekit.agents.types import NOT_GIVEN, APIConnectOptions, NotGivenOr
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
                        loglevel="FATAL",
                    )
        return self._decoder


def streaming(recognizer: stt.STT[Any], voice_activity: vad.VAD) -> stt.StreamAdapter:
    """``recognizer`` made streaming: the VAD cuts the audio into utterances it recognizes."""
    return stt.StreamAdapter(stt=recognizer, vad=voice_activity)
