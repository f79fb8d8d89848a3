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
    join_timeout_s: float = Field(
        default=600.0,
        gt=0,
        le=3_600,
        description="How long the interviewer waits for the candidate to join; then the "
        "session ends as ended_early (SessionCompleted with no turns) and the job ends.",
    )
    candidate_away_s: float = Field(
        default=120.0,
        gt=0,
        le=3_600,
        description="How long the interviewer waits in the room for a candidate whose "
        "connection dropped to rejoin; then the job ends and the session is interrupted "
        "(resumable until the sweeper's grace period ends it).",
    )
    backchannels: bool = Field(default=True, description="Play 'mhm' clips in mid-answer pauses.")
    end_of_turn_silence_ms: int = Field(
        default=550,
        ge=200,
        le=5_000,
        description="Silence after a finished-sounding answer the audio end-of-turn model "
        "agrees with (or one of complete_answer_words) before the interviewer replies. Pauses "
        "at commas and full stops last 0.32-0.42 s (Piper's speech, as the VAD measures them): "
        "less than 0.5 s cuts answers mid-sentence.",
    )
    prepare_replies: bool = Field(
        default=True,
        description="Render the conductor's likely reply while the candidate pauses, so it "
        "plays as soon as the turn ends (with OpenAI TTS a reply not given is billed too).",
    )
    sure_end_silence_ms: int = Field(
        default=500,
        ge=200,
        le=5_000,
        description="Silence after a request ('could you repeat that', 'that's all') or a "
        "finished-sounding answer the audio end-of-turn model is sure of (at least "
        "sure_end_of_turn_threshold) before the interviewer replies; the recognizer closes an "
        "utterance after 0.45 s, so less than that changes nothing.",
    )
    sure_end_of_turn_threshold: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="End-of-turn probability from which the candidate counts as surely done.",
    )
    complete_answer_words: int = Field(
        default=10,
        ge=0,
        le=500,
        description="An answer of at least this many words that does not trail off ends after "
        "end_of_turn_silence_ms even when the audio end-of-turn model is unsure (0: off).",
    )
    unsure_end_silence_ms: int = Field(
        default=1_000,
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
    def _sure_means_sooner(self) -> Self:
        if self.sure_end_silence_ms > self.end_of_turn_silence_ms:
            raise ValueError(
                "sure_end_silence_ms must be at most end_of_turn_silence_ms "
                f"({self.end_of_turn_silence_ms}), got {self.sure_end_silence_ms}"
            )
        if self.sure_end_of_turn_threshold < self.end_of_turn_threshold:
            raise ValueError(
                "sure_end_of_turn_threshold must be at least end_of_turn_threshold "
                f"({self.end_of_turn_threshold}), got {self.sure_end_of_turn_threshold}"
            )
        return self

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
