"""Settings: shared infrastructure variables, service prefixes and placeholder secrets."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from common.settings import BaseServiceSettings


class ScoringSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOCKSY_SCORING_")

    service_name: str = "scoring"
    llm_api_key: SecretStr = SecretStr("dev-only-key")
    batch_size: int = 10


def test_shared_variables_and_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:29092")
    monkeypatch.setenv("KEYCLOAK_URL", "http://127.0.0.1:8080/")
    monkeypatch.setenv("MOCKSY_SCORING_BATCH_SIZE", "25")
    settings = ScoringSettings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:29092"
    assert settings.batch_size == 25
    assert settings.keycloak_issuer == "http://127.0.0.1:8080/realms/mocksy"


def test_placeholder_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSY_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="llm_api_key holds a development placeholder"):
        ScoringSettings()
    monkeypatch.setenv("MOCKSY_SCORING_LLM_API_KEY", "sk-9f8e7d6c5b4a")
    assert ScoringSettings().environment == "production"


def test_placeholder_secret_is_fine_in_development() -> None:
    assert ScoringSettings().llm_api_key.get_secret_value() == "dev-only-key"


def test_a_topic_prefix_isolates_a_deployment_and_refuses_odd_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ScoringSettings().topic_prefix == ""
    monkeypatch.setenv("MOCKSY_TOPIC_PREFIX", "it.run42.")
    assert ScoringSettings().topic_prefix == "it.run42."
    monkeypatch.setenv("MOCKSY_TOPIC_PREFIX", "it run/42")
    with pytest.raises(ValidationError, match="topic_prefix"):
        ScoringSettings()
