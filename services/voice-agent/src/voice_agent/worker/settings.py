"""The interviewer worker's settings: speech providers, capacity, turn-taking (MOCKSY_VOICE_*)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from voice_agent.settings import VoiceAgentSettings

SpeechProviders = Literal["offline", "openai"]


class InterviewerSettings(VoiceAgentSettings):
    """The service's settings plus what only the worker needs."""

    speech: SpeechProviders = Field(
        default="offline",
        description="offline: Silero VAD, pocketsphinx, Piper (no network). openai: any "
        "OpenAI-compatible STT/LLM/TTS, each falling back to the offline stack on error.",
    )
    openai_stt_base_url: str | None = None
    openai_stt_model: str = "gpt-4o-mini-transcribe"
    openai_stt_api_key: SecretStr | None = None
    openai_llm_base_url: str | None = None
    openai_llm_model: str | None = Field(
        default=None,
        description="Phrases follow-ups within the conductor's policy; unset: the policy's "
        "own wording.",
    )
    openai_llm_api_key: SecretStr | None = None
    openai_tts_base_url: str | None = None
    openai_tts_model: str = "gpt-4o-mini-tts"
    openai_tts_voice: str = "alloy"
    openai_tts_api_key: SecretStr | None = None

    max_sessions: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Interviews one worker conducts at once; a full worker takes no new job.",
    )
    drain_timeout_s: int = Field(
        default=45 * 60,
        ge=0,
        description="On shutdown, how long running interviews may go on (no new ones start).",
    )
    backchannels: bool = Field(default=True, description="Play 'mhm' clips in mid-answer pauses.")
    end_of_turn_silence_ms: int = Field(
        default=800,
        ge=200,
        le=5_000,
        description="Silence after a finished-sounding answer before the interviewer replies.",
    )
    unsure_end_silence_ms: int = Field(
        default=1_200,
        ge=200,
        le=5_000,
        description="Silence after a finished-sounding answer when the audio end-of-turn model "
        "is unsure (or not loaded) before the interviewer replies.",
    )
    max_think_pause_ms: int = Field(
        default=8_000,
        ge=1_000,
        le=60_000,
        description="A pause inside an unfinished answer up to this long does not end it.",
    )
    end_of_turn_threshold: float = Field(
        default=0.36,
        ge=0.0,
        le=1.0,
        description="End-of-turn probability (LiveKit's local audio model) from which the "
        "candidate counts as done; 0.36 is the model's calibrated English threshold.",
    )
    silence_check_interval_s: float = Field(default=1.0, gt=0, le=10)
    worker_metrics_port: int | None = Field(
        default=9108, ge=1, le=65535, description="Prometheus /metrics of the worker; unset: off."
    )

    @model_validator(mode="after")
    def _openai_needs_somewhere_to_go(self) -> Self:
        if self.speech == "openai" and not (
            self.openai_stt_api_key or self.openai_stt_base_url or self.openai_tts_base_url
        ):
            raise ValueError(
                "speech=openai needs openai_stt_api_key or a base_url "
                "(MOCKSY_VOICE_OPENAI_STT_BASE_URL / _TTS_BASE_URL) of a compatible server"
            )
        return self
