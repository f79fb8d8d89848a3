"""The interviewer's voice in each style: one TTS per style, each with its own prosody."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, get_args

from livekit.agents import tts

from common.events import Style
from voice_agent.domain import TtsProsody
from voice_agent.speech.espeak import EspeakTTS, espeak_available
from voice_agent.speech.piper import PiperTTS

logger = logging.getLogger(__name__)

STYLES: tuple[Style, ...] = get_args(Style)


class StyledVoice:
    """A TTS for every style the conductor gives its lines."""

    def __init__(self, voices: Mapping[Style, tts.TTS[Any]]) -> None:
        missing = [style for style in STYLES if style not in voices]
        if missing:
            raise ValueError(f"voices is missing a TTS for: {', '.join(missing)}")
        self._voices = dict(voices)

    def for_style(self, style: Style) -> tts.TTS[Any]:
        """The TTS that speaks ``style``."""
        return self._voices[style]

    @property
    def neutral(self) -> tts.TTS[Any]:
        """The plain voice (back-channel clips, anything without a style)."""
        return self._voices["neutral"]

    async def aclose(self) -> None:
        """Close every style's TTS."""
        for voice in self._voices.values():
            await voice.aclose()


def offline_voice(
    prosody: TtsProsody | None = None, *, piper: PiperTTS | None = None
) -> StyledVoice:
    """Piper in every style, falling back to espeak-ng (when installed) if Piper fails."""
    prosody = prosody or TtsProsody()
    piper = piper or PiperTTS()
    with_espeak = espeak_available()
    if not with_espeak:
        logger.warning("espeak-ng is not installed: Piper has no fallback voice")
    voices: dict[Style, tts.TTS[Any]] = {}
    for style in STYLES:
        styled = piper.with_controls(prosody.piper(style))
        if with_espeak:
            espeak = EspeakTTS(prosody.espeak(style))
            voices[style] = tts.FallbackAdapter([styled, espeak], max_retry_per_tts=0)
        else:
            voices[style] = styled
    return StyledVoice(voices)
