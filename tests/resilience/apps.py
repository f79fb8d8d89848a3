"""The five FastAPI apps built in-process over hand-written fakes: no servers, real JWTs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI

from auth.app import create_app as create_auth
from auth.identity import AccountExists, BadCredentials, InvalidRefreshToken, TokenSet
from auth.settings import AuthSettings
from common.testing.identity import FakeIdentityProvider
from common.testing.mongo import InMemoryCollection
from history.app import create_app as create_history
from history.repository import MongoHistoryRepository
from history.settings import HistorySettings
from interview_builder.app import create_app as create_builder
from interview_builder.settings import BuilderSettings
from interview_builder.testing import InMemoryDatabase
from scoring.app import create_app as create_scoring
from scoring.repository import MongoFeedbackRepository
from scoring.settings import ScoringSettings
from services.history.tests.fakes import Database as HistoryDatabase
from voice_agent.app import create_app as create_voice_agent
from voice_agent.settings import VoiceAgentSettings
from voice_agent.testing import FakeRooms, in_memory_interviews, in_memory_sessions

USER = "user-resilience"


@dataclass
class AccountsInMemory:
    """Keycloak's accounts as far as the auth service sees them, kept in a dict."""

    realm: FakeIdentityProvider
    passwords: dict[str, str] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)

    async def create_account(self, email: str, password: str, first: str, last: str) -> str:
        if email in self.passwords:
            raise AccountExists
        self.passwords[email] = password
        return f"id-{len(self.passwords)}"

    async def sign_in(self, email: str, password: str) -> TokenSet:
        if self.passwords.get(email) != password:
            raise BadCredentials
        refresh = f"refresh-{len(self.refresh_tokens)}"
        self.refresh_tokens.add(refresh)
        return TokenSet(
            access_token=self.realm.token(sub=email),
            refresh_token=refresh,
            expires_in=300,
            refresh_expires_in=1800,
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        if refresh_token not in self.refresh_tokens:
            raise InvalidRefreshToken
        return TokenSet(
            access_token=self.realm.token(sub=USER),
            refresh_token=refresh_token,
            expires_in=300,
            refresh_expires_in=1800,
        )

    async def sign_out(self, refresh_token: str) -> None:
        if refresh_token not in self.refresh_tokens:
            raise InvalidRefreshToken
        self.refresh_tokens.discard(refresh_token)


def auth_app(realm: FakeIdentityProvider, settings: AuthSettings | None = None) -> FastAPI:
    """The auth facade; limits high enough that fuzzing is not throttled into 429s only."""
    settings = settings or AuthSettings(
        login_per_address_per_minute=100_000,
        login_per_account_per_minute=100_000,
        register_per_address_per_hour=100_000,
        register_per_account_per_hour=100_000,
    )
    return create_auth(settings, identity=AccountsInMemory(realm), validator=realm.validator())


def builder_app(realm: FakeIdentityProvider, settings: BuilderSettings | None = None) -> FastAPI:
    """The interview builder over in-memory collections and the offline question bank."""
    settings = settings or BuilderSettings(llm_base_url=None)
    return create_builder(settings, validator=realm.validator(), database=InMemoryDatabase())


def voice_agent_app(
    realm: FakeIdentityProvider, settings: VoiceAgentSettings | None = None
) -> FastAPI:
    """The sessions API over in-memory stores and a fake LiveKit."""
    settings = settings or VoiceAgentSettings.model_validate(
        {
            "livekit_url": "ws://livekit.internal:7880",
            "livekit_public_url": "wss://voice.mocksy.test",
            "livekit_api_key": "test-key",
            "livekit_api_secret": "test-secret-of-at-least-32-characters",
            "sweep_interval_s": 0,
        }
    )
    return create_voice_agent(
        settings,
        validator=realm.validator(),
        sessions=in_memory_sessions(),
        interviews=in_memory_interviews(),
        rooms=FakeRooms(),
    )


def scoring_app(realm: FakeIdentityProvider, settings: ScoringSettings | None = None) -> FastAPI:
    """The feedback read API over an in-memory collection, no consumer."""
    settings = settings or ScoringSettings(consume_events=False)
    repository = MongoFeedbackRepository(InMemoryCollection("feedback"))
    return create_scoring(settings, validator=realm.validator(), repository=repository)


def history_app(realm: FakeIdentityProvider, settings: HistorySettings | None = None) -> FastAPI:
    """The history API over in-memory collections, no consumer."""
    settings = settings or HistorySettings(consume_events=False)
    repository = MongoHistoryRepository.in_database(HistoryDatabase())
    return create_history(settings, validator=realm.validator(), repository=repository)


AppFactory = Callable[[FakeIdentityProvider], FastAPI]

APPS: dict[str, AppFactory] = {
    "auth": auth_app,
    "interview-builder": builder_app,
    "voice-agent": voice_agent_app,
    "scoring": scoring_app,
    "history": history_app,
}
