"""Settings of the history service (`MOCKSY_HISTORY_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import BaseServiceSettings


class HistorySettings(BaseServiceSettings):
    """Where the history read models live and whether this process builds them."""

    model_config = SettingsConfigDict(env_prefix="MOCKSY_HISTORY_")

    service_name: str = "history"
    http_port: int = 8005
    database: str = Field(default="history", min_length=1, max_length=60)
    consume_events: bool = Field(
        default=True,
        description="Run the Kafka consumers in this process; false for an API-only replica.",
    )
