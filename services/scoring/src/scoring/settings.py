"""Settings of the scoring service (`MOCKSY_SCORING_*`)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common.settings import BaseServiceSettings

JudgeMode = Literal["offline", "llm", "blend"]
StructuredOutput = Literal["tool_call", "json_schema"]


class ScoringSettings(BaseServiceSettings):
    """Where feedback is stored, which judge scores, and how the LLM judge is reached."""

    model_config = SettingsConfigDict(env_prefix="MOCKSY_SCORING_")

    service_name: str = "scoring"
    http_port: int = 8004
    database: str = Field(default="scoring", min_length=1, max_length=60)
    consume_events: bool = Field(
        default=True,
        description="Run the SessionCompleted consumer in this process; false for an API-only "
        "replica.",
    )
    outbox_poll_s: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="Seconds between outbox relay passes when idle: the floor of the "
        "SessionCompleted -> FeedbackReady latency.",
    )

    judge: JudgeMode = Field(
        default="offline",
        description="offline: the rubric only; llm: the LLM judge's category scores replace the "
        "rubric's; blend: a weighted mean of both. Any LLM error falls back to the rubric.",
    )
    llm_base_url: str | None = Field(
        default=None,
        max_length=500,
        description="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (the /v1 is "
        "optional).",
    )
    llm_model: str | None = Field(default=None, max_length=200)
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600)
    llm_output: StructuredOutput = Field(
        default="tool_call",
        description="How the schema is imposed: a forced function call (widest server "
        "support) or response_format json_schema.",
    )
    llm_max_prompt_chars: int = Field(default=24_000, ge=2_000, le=400_000)
    blend_weight: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Share of the LLM judge in a blended category score (judge=blend).",
    )

    @model_validator(mode="after")
    def _llm_judge_needs_a_server(self) -> Self:
        if self.judge != "offline":
            for name in ("llm_base_url", "llm_model"):
                if not getattr(self, name):
                    raise ValueError(
                        f"{name} must be set when judge is {self.judge!r} "
                        f"(MOCKSY_SCORING_{name.upper()})"
                    )
        return self
