"""One settings base for every service: infrastructure addresses, environment and secrets."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Secret values that are fine on a laptop and must never reach production.
PLACEHOLDER_MARKERS = ("dev-only", "change-me", "changeme", "secret", "devkey")


def _shared(name: str) -> AliasChoices:
    # Infrastructure addresses come from the stack's shared variables (KAFKA_BOOTSTRAP_SERVERS…)
    # so that one env file serves every service and the tests.
    return AliasChoices(name, f"MOCKSY_{name}")


class BaseServiceSettings(BaseSettings):
    """Settings every Mocksy service has.

    Subclasses set ``model_config = SettingsConfigDict(env_prefix="MOCKSY_<SERVICE>_")`` for
    their own fields; the shared infrastructure fields below are read from unprefixed variables
    such as ``KAFKA_BOOTSTRAP_SERVERS`` and ``MONGODB_URI``.
    """

    model_config = SettingsConfigDict(env_prefix="MOCKSY_", extra="ignore", frozen=True)

    service_name: str = "mocksy"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    environment: Environment = Field(default="development", validation_alias=_shared("ENVIRONMENT"))
    log_level: str = Field(default="INFO", validation_alias=_shared("LOG_LEVEL"))
    log_json: bool = Field(default=True, validation_alias=_shared("LOG_JSON"))

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092", validation_alias=_shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27117/", validation_alias=_shared("MONGODB_URI")
    )
    keycloak_url: str = Field(
        default="http://127.0.0.1:18080", validation_alias=_shared("KEYCLOAK_URL")
    )
    keycloak_realm: str = Field(default="mocksy", validation_alias=_shared("KEYCLOAK_REALM"))
    api_audience: str = Field(default="mocksy-api", validation_alias=_shared("API_AUDIENCE"))
    topic_prefix: str = Field(
        default="",
        max_length=100,
        pattern=r"^[A-Za-z0-9._-]*$",
        validation_alias=AliasChoices("topic_prefix", "MOCKSY_TOPIC_PREFIX"),
        description="Put before every Kafka topic this service reads and writes; empty in "
        "production. A deployment isolated on a shared Kafka (an end-to-end test) sets its own.",
    )

    web_origins: tuple[str, ...] = Field(
        default=("http://127.0.0.1:5173", "http://localhost:5173"),
        validation_alias=_shared("WEB_ORIGINS"),
        description="Browser origins allowed to call the API (CORS); the web app's dev server "
        "by default. A JSON list in the environment.",
    )
    outbox_publish_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        validation_alias=_shared("OUTBOX_PUBLISH_TIMEOUT_S"),
        description="Seconds the outbox relay waits for Kafka to acknowledge one record before "
        "it moves on (the record stays in flight, not sent twice), and the longest a shutdown "
        "waits for the producer to flush while Kafka is unreachable.",
    )
    max_request_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        validation_alias=_shared("MAX_REQUEST_BYTES"),
        description="Request bodies larger than this get 413.",
    )

    @property
    def keycloak_issuer(self) -> str:
        """Issuer URL of the realm's tokens (``iss``)."""
        return f"{self.keycloak_url.rstrip('/')}/realms/{self.keycloak_realm}"

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Self:
        if self.environment != "production":
            return self
        for name, value in self:
            if isinstance(value, SecretStr):
                secret = value.get_secret_value().lower()
                if not secret or any(marker in secret for marker in PLACEHOLDER_MARKERS):
                    raise ValueError(
                        f"{name} holds a development placeholder; set a real secret in production"
                    )
        return self
