"""Settings of the interview-builder service (`MOCKSY_BUILDER_*`)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common.settings import BaseServiceSettings


class BuilderSettings(BaseServiceSettings):
    """Where interviews and setup chats live, how long a chat lasts, and the optional LLM."""

    model_config = SettingsConfigDict(env_prefix="MOCKSY_BUILDER_")

    service_name: str = "interview-builder"
    http_port: int = 8002
    database: str = Field(default="interview_builder", min_length=1, max_length=60)

    setup_ttl_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="A setup chat untouched this long is gone (404).",
    )
    setup_max_messages: int = Field(
        default=50, ge=1, le=500, description="Messages one setup chat accepts."
    )
    recent_interviews: int = Field(
        default=3,
        ge=0,
        le=50,
        description="New interviews avoid the questions of the user's last N interviews.",
    )
    outbox_poll_interval_s: float = Field(default=0.5, gt=0, le=60)

    llm_base_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible server, e.g. http://127.0.0.1:8080; unset = rule parser.",
    )
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=5.0, gt=0, le=60)
    llm_questions: bool = Field(
        default=False,
        description="Write questions with the LLM (checked, falling back to the bank).",
    )
    llm_questions_timeout_s: float = Field(default=30.0, gt=0, le=300)

    @property
    def llm_enabled(self) -> bool:
        """Whether setup messages go through the LLM first."""
        return bool(self.llm_base_url)

    @model_validator(mode="after")
    def _llm_needs_a_model(self) -> Self:
        if self.llm_base_url and not self.llm_model:
            raise ValueError("llm_model must be set when llm_base_url is set")
        if self.llm_questions and not self.llm_base_url:
            raise ValueError("llm_questions needs llm_base_url and llm_model")
        return self
