"""Settings: LiveKit comes from the stack's shared variables; bad limits are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from voice_agent.settings import VoiceAgentSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "MOCKSY_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MOCKSY_VOICE_LIVEKIT_PUBLIC_URL", raising=False)


def test_livekit_is_read_from_the_shared_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKIT_URL", "ws://livekit:7880")
    monkeypatch.setenv("LIVEKIT_API_KEY", "key-1")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "a-real-looking-value-0123456789")

    settings = VoiceAgentSettings()

    assert settings.livekit_http_url == "http://livekit:7880"
    assert settings.livekit_api_key == "key-1"
    assert settings.livekit_api_secret.get_secret_value() == "a-real-looking-value-0123456789"
    assert settings.candidate_livekit_url == "ws://livekit:7880"
    assert (settings.service_name, settings.http_port, settings.database) == (
        "voice-agent",
        8003,
        "voice_agent",
    )


def test_candidates_can_be_sent_to_a_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKIT_API_KEY", "key-1")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "a-real-looking-value-0123456789")
    monkeypatch.setenv("MOCKSY_VOICE_LIVEKIT_PUBLIC_URL", "wss://voice.example.com")

    assert VoiceAgentSettings().candidate_livekit_url == "wss://voice.example.com"


def test_the_livekit_secret_has_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKIT_API_KEY", "key-1")

    with pytest.raises(ValidationError, match="LIVEKIT_API_SECRET"):
        VoiceAgentSettings()


def test_a_placeholder_secret_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSY_ENVIRONMENT", "production")
    monkeypatch.setenv("LIVEKIT_API_KEY", "devkey")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "secret")

    with pytest.raises(ValidationError, match="livekit_api_secret holds a development placeholder"):
        VoiceAgentSettings()


def test_the_worker_timeout_must_leave_room_for_two_heartbeats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVEKIT_API_KEY", "key-1")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "a-real-looking-value-0123456789")
    monkeypatch.setenv("MOCKSY_VOICE_WORKER_TIMEOUT_S", "8")
    monkeypatch.setenv("MOCKSY_VOICE_HEARTBEAT_INTERVAL_S", "5")

    with pytest.raises(ValidationError, match="worker_timeout_s must be at least twice"):
        VoiceAgentSettings()
