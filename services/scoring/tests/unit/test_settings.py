"""Scoring settings come from MOCKSY_SCORING_* variables and refuse half-configured judges."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scoring.settings import ScoringSettings


def test_defaults_score_offline_on_port_8004() -> None:
    settings = ScoringSettings()
    assert (settings.service_name, settings.http_port, settings.judge) == (
        "scoring",
        8004,
        "offline",
    )
    assert settings.database == "scoring"


def test_the_judge_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "MOCKSY_SCORING_JUDGE": "blend",
        "MOCKSY_SCORING_LLM_BASE_URL": "http://127.0.0.1:8080/v1",
        "MOCKSY_SCORING_LLM_MODEL": "smollm2",
        "MOCKSY_SCORING_LLM_API_KEY": "sk-local-test",
        "MOCKSY_SCORING_LLM_TIMEOUT_S": "12.5",
        "MOCKSY_SCORING_BLEND_WEIGHT": "0.3",
    }.items():
        monkeypatch.setenv(name, value)
    settings = ScoringSettings()
    assert (settings.judge, settings.llm_model, settings.blend_weight) == ("blend", "smollm2", 0.3)
    assert settings.llm_timeout_s == 12.5
    assert settings.llm_api_key is not None
    assert settings.llm_api_key.get_secret_value() == "sk-local-test"
    assert "sk-local-test" not in repr(settings)


def test_an_llm_judge_needs_a_model() -> None:
    with pytest.raises(ValidationError, match="llm_model must be set when judge is 'blend'"):
        ScoringSettings(judge="blend", llm_base_url="http://127.0.0.1:8080")


def test_a_blend_weight_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"blend_weight\n.*less than or equal to 1"):
        ScoringSettings(blend_weight=1.5)
