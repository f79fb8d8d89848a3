"""The last-resort voice: the espeak-ng program (Debian package ``espeak-ng``)."""

from __future__ import annotations

import asyncio
import io
import shutil
import wave
from typing import Final

from livekit.agents import APIError, tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from voice_agent.domain import EspeakControls

SAMPLE_RATE: Final = 22_050  # espeak-ng's output rate
NEUTRAL: Final = EspeakControls(words_per_minute=175, pitch=50)


def espeak_available() -> bool:
    """Whether the espeak-ng program is installed."""
    return shutil.which("espeak-ng") is not None


class EspeakTTS(tts.TTS[str]):
    """espeak-ng as a LiveKit TTS: robotic, but it needs nothing but the program."""

    def __init__(self, controls: EspeakControls = NEUTRAL, *, voice: str = "en-us") -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=SAMPLE_RATE,
            num_channels=1,
        )
        self.controls = controls
        self.voice = voice

    @property
    def model(self) -> str:
        return self.voice

    @property
    def provider(self) -> str:
        return "espeak-ng"

    def with_controls(self, controls: EspeakControls) -> EspeakTTS:
        """The same voice with other controls."""
        return EspeakTTS(controls, voice=self.voice)

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _EspeakStream(tts=self, input_text=text, conn_options=conn_options)

    async def wav(self, text: str) -> bytes:
        """The WAV file espeak-ng makes of ``text``."""
        program = shutil.which("espeak-ng")
        if program is None:
            raise APIError("espeak-ng is not installed", retryable=False)
        process = await asyncio.create_subprocess_exec(
            program,
            "-v",
            self.voice,
            *self.controls.args(),
            "--stdout",
            # Text on stdin: nothing the candidate or an LLM wrote reaches the command line.
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate(text.encode("utf-8"))
        if process.returncode != 0 or not out:
            raise APIError(
                f"espeak-ng failed ({process.returncode}): {err.decode(errors='replace')[:200]}",
                retryable=False,
            )
        return out


class _EspeakStream(tts.ChunkedStream):
    def __init__(self, *, tts: EspeakTTS, input_text: str, conn_options: APIConnectOptions):
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._espeak = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        data = await self._espeak.wav(self.input_text)
        with wave.open(io.BytesIO(data)) as wav:
            rate, channels = wav.getframerate(), wav.getnchannels()
        # espeak-ng writes to a pipe, so the header's lengths are placeholders: the samples
        # are whatever follows the data chunk's header.
        start = data.find(b"data") + 8
        pcm = data[start : start + (len(data) - start) // 2 * 2]
        output_emitter.initialize(
            request_id=utils.shortuuid("espeak_"),
            sample_rate=rate,
            num_channels=channels,
            mime_type="audio/pcm",
        )
        output_emitter.push(pcm)
        output_emitter.flush()
