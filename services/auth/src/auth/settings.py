"""Settings of the auth service (`MOCKSY_AUTH_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from common.settings import BaseServiceSettings


class AuthSettings(BaseServiceSettings):
    """How the auth facade reaches Keycloak and how hard it throttles."""

    model_config = SettingsConfigDict(env_prefix="MOCKSY_AUTH_")

    service_name: str = "auth"
    http_port: int = 8001
    client_id: str = "mocksy-auth"
    # The realm file's development value; refused when MOCKSY_ENVIRONMENT=production.
    client_secret: SecretStr = SecretStr("dev-only-mocksy-auth-secret-change-me")
    keycloak_timeout_s: float = Field(default=10.0, gt=0)

    login_per_address_per_minute: int = Field(default=30, ge=1)
    login_per_account_per_minute: int = Field(default=10, ge=1)
    register_per_address_per_hour: int = Field(default=20, ge=1)
    register_per_account_per_hour: int = Field(default=5, ge=1)
