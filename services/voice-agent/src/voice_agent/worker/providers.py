"""Which speech engines an interview runs on: the offline stack, or OpenAI-compatible services
each backed by the offline engine when they fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents import NOT_GIVEN, NotGivenOr, stt, tts, vad
from livekit.plugins import openai, silero
from pydantic import SecretStr

from common.events import InterviewSpec
from voice_agent.domain import TtsProsody
from voice_agent.speech import IncrementalSphinx, PiperTTS, SphinxSTT, build_language_model
from voice_agent.speech.voice import STYLES, StyledVoice, offline_voice
from voice_agent.worker.phrasing import FollowUpRewriter
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.turn_detection import AudioEndOfTurn, load_audio_end_of_turn

# A pause this long closes an utterance for the recognizer and asks the turn detector; the turn
# is the policy's to end, after at least end_of_turn_silence_ms (0.55 s): Piper's own pauses
# at commas and full stops last 0.32-0.42 s as the VAD measures them, so a shorter end would
# cut answers mid-sentence. Closing the utterance at 0.45 s keeps each sentence whole for the
# recognizer (a trailing "and" heard alone is misheard, and think time rests on it) and has
# the words ready before the policy's silence is up.
VAD_SILENCE_S = 0.45


@dataclass(frozen=True)
class SharedModels:
    """Models loaded once per worker process and shared by its interviews."""

    vad: vad.VAD
    piper: PiperTTS
    end_of_turn: AudioEndOfTurn | None


def load_shared_models() -> SharedModels:
    """Load Silero VAD, the Piper voice and the end-of-turn model (about a second)."""
    return SharedModels(
        vad=silero.VAD.load(min_silence_duration=VAD_SILENCE_S),
        piper=PiperTTS(),
        end_of_turn=load_audio_end_of_turn(),
    )


@dataclass
class SpeechStack:
    """The engines of one interview."""

    stt: stt.STT[Any]
    vad: vad.VAD
    voice: StyledVoice
    rewriter: FollowUpRewriter | None
    end_of_turn: AudioEndOfTurn | None


def offline_recognizer(spec: InterviewSpec) -> SphinxSTT:
    """pocketsphinx with a language model of this interview, loaded now."""
    recognizer = SphinxSTT(build_language_model(spec))
    recognizer.prewarm()
    return recognizer


def speech_stack(
    settings: InterviewerSettings, spec: InterviewSpec, models: SharedModels
) -> SpeechStack:
    """The engines for ``spec`` as ``settings`` choose them (build it off the event loop)."""
    prosody = TtsProsody()
    offline = offline_voice(prosody, piper=models.piper)
    recognizer = offline_recognizer(spec)
    if settings.speech == "offline":
        return SpeechStack(
            stt=IncrementalSphinx(recognizer, models.vad),
            vad=models.vad,
            voice=offline,
            rewriter=None,
            end_of_turn=models.end_of_turn,
        )

    remote_stt = openai.STT(
        model=settings.openai_stt_model,
        language="en",
        use_realtime=False,
        base_url=_base_url(settings.openai_stt_base_url),
        api_key=_api_key(settings.openai_stt_api_key),
    )
    voices: dict[Any, tts.TTS[Any]] = {}
    for style in STYLES:
        controls = prosody.openai(style)
        remote = openai.TTS(
            model=settings.openai_tts_model,
            voice=settings.openai_tts_voice,
            speed=controls.speed,
            instructions=controls.instructions,
            base_url=_base_url(settings.openai_tts_base_url),
            api_key=_api_key(settings.openai_tts_api_key),
        )
        voices[style] = tts.FallbackAdapter([remote, offline.for_style(style)])
    return SpeechStack(
        stt=stt.FallbackAdapter(
            [remote_stt, IncrementalSphinx(recognizer, models.vad)], vad=models.vad
        ),
        vad=models.vad,
        voice=StyledVoice(voices),
        rewriter=follow_up_rewriter(settings),
        end_of_turn=models.end_of_turn,
    )


def follow_up_rewriter(settings: InterviewerSettings) -> FollowUpRewriter | None:
    """The LLM that re-words the policy's follow-ups, when one is configured."""
    if not settings.openai_llm_model:
        return None
    return FollowUpRewriter(
        openai.LLM(
            model=settings.openai_llm_model,
            base_url=_base_url(settings.openai_llm_base_url),
            api_key=_api_key(settings.openai_llm_api_key),
        )
    )


def _base_url(url: str | None) -> NotGivenOr[str]:
    return url if url else NOT_GIVEN


def _api_key(key: SecretStr | None) -> str:
    # A local server (Ollama, vLLM, llama.cpp) takes any key; the client insists on one.
    return key.get_secret_value() if key else "not-needed"
