"""Settings of the voice agent (`MOCKSY_VOICE_*`, plus the stack's shared `LIVEKIT_*`)."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common.settings import BaseServiceSettings


def _livekit(name: str) -> AliasChoices:
    # One LiveKit server per stack: its address and key pair come from the variables the
    # server, the worker and the tests share (LIVEKIT_URL, ...), not a per-service prefix.
    return AliasChoices(name, f"MOCKSY_{name}")


class VoiceAgentSettings(BaseServiceSettings):
    """How the sessions API and the interviewer worker reach LiveKit, and their time limits."""

    model_config = SettingsConfigDict(env_prefix="MOCKSY_VOICE_")

    service_name: str = "voice-agent"
    http_port: int = 8003
    database: str = "voice_agent"

    livekit_url: str = Field(
        default="ws://127.0.0.1:17880",
        validation_alias=_livekit("LIVEKIT_URL"),
        description="Where this service reaches the LiveKit server (API calls, workers).",
    )
    livekit_public_url: str | None = Field(
        default=None,
        description="The LiveKit address handed to candidates; livekit_url when unset "
        "(differs when the server is reached by another name inside a cluster).",
    )
    livekit_api_key: str = Field(min_length=1, validation_alias=_livekit("LIVEKIT_API_KEY"))
    livekit_api_secret: SecretStr = Field(validation_alias=_livekit("LIVEKIT_API_SECRET"))
    livekit_timeout_s: float = Field(default=5.0, gt=0, le=60)

    agent_name: str = Field(
        default="mocksy-interviewer",
        min_length=1,
        description="The name the interviewer worker registers with; dispatch is explicit.",
    )
    token_ttl_s: int = Field(
        default=15 * 60, ge=60, le=24 * 3600, description="Life of a candidate's join token."
    )
    room_empty_timeout_s: int = Field(
        default=10 * 60,
        ge=10,
        description="LiveKit closes a room nobody joined, or everybody left, after this long.",
    )
    room_max_participants: int = Field(default=3, ge=2, le=10)

    grace_period_s: float = Field(
        default=120.0,
        gt=0,
        description="An interrupted session the candidate does not resume within this ends "
        "as ended_early.",
    )
    worker_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="An active session whose worker has not heartbeated for this long is "
        "marked interrupted (the worker died).",
    )
    heartbeat_interval_s: float = Field(
        default=5.0, gt=0, description="How often a worker refreshes last_seen_at."
    )
    start_timeout_s: float = Field(
        default=20 * 60,
        gt=0,
        description="A session no worker ever picked up fails after this long.",
    )
    redispatch_after_s: float = Field(
        default=15.0,
        gt=0,
        description="A candidate waiting in the room with no interviewer (nor one starting) "
        "this long after it was dispatched gets it dispatched again: LiveKit drops a dispatch "
        "no worker can take at that moment.",
    )
    sweep_interval_s: float = Field(
        default=5.0,
        ge=0,
        description="Seconds between passes of the session sweeper in `serve`; 0 turns it off.",
    )

    worker_http_port: int = Field(
        default=8081, ge=1, le=65535, description="Health and metrics port of a worker."
    )

    @model_validator(mode="after")
    def _heartbeats_fit_the_timeout(self) -> Self:
        # A worker must get at least two heartbeats in before the sweeper calls it dead.
        if self.worker_timeout_s < 2 * self.heartbeat_interval_s:
            raise ValueError(
                "worker_timeout_s must be at least twice heartbeat_interval_s "
                f"({self.worker_timeout_s} < 2 x {self.heartbeat_interval_s})"
            )
        return self

    @property
    def candidate_livekit_url(self) -> str:
        """The LiveKit address a candidate's client connects to."""
        return self.livekit_public_url or self.livekit_url

    @property
    def livekit_http_url(self) -> str:
        """The LiveKit server's HTTP address for its server API."""
        url = self.livekit_url
        if url.startswith("ws"):
            url = "http" + url[2:]
        return url.rstrip("/")
