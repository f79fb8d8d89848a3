"""The auth API with a hand-written identity provider: status codes, throttling, no leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from auth.app import create_app
from auth.identity import (
    AccountExists,
    BadCredentials,
    IdentityUnavailable,
    InvalidRefreshToken,
    TokenSet,
)
from auth.settings import AuthSettings
from common.testing.identity import FakeIdentityProvider

PASSWORD = "correct-horse-battery"


class FakeKeycloak:
    """Accounts in a dict; tokens minted by the fake identity provider."""

    def __init__(self, tokens: FakeIdentityProvider) -> None:
        self.tokens = tokens
        self.accounts: dict[str, tuple[str, str, str]] = {}
        self.sessions: set[str] = set()
        self.down = False

    def _check_up(self) -> None:
        if self.down:
            raise IdentityUnavailable("connection refused")

    async def create_account(self, email: str, password: str, first: str, last: str) -> str:
        self._check_up()
        if email in self.accounts:
            raise AccountExists
        self.accounts[email] = (f"id-{len(self.accounts)}", password, f"{first} {last}")
        return self.accounts[email][0]

    def _issue(self, email: str) -> TokenSet:
        user_id, _, name = self.accounts[email]
        refresh = f"refresh-{user_id}-{len(self.sessions)}"
        self.sessions.add(refresh)
        access = self.tokens.token(sub=user_id, email=email, name=name)
        return TokenSet(
            access_token=access, refresh_token=refresh, expires_in=300, refresh_expires_in=1800
        )

    async def sign_in(self, email: str, password: str) -> TokenSet:
        self._check_up()
        if email not in self.accounts or self.accounts[email][1] != password:
            raise BadCredentials
        return self._issue(email)

    async def refresh(self, refresh_token: str) -> TokenSet:
        self._check_up()
        if refresh_token not in self.sessions:
            raise InvalidRefreshToken
        self.sessions.discard(refresh_token)
        email = next(e for e, (uid, _, _) in self.accounts.items() if uid in refresh_token)
        return self._issue(email)

    async def sign_out(self, refresh_token: str) -> None:
        self._check_up()
        if refresh_token not in self.sessions:
            raise InvalidRefreshToken
        self.sessions.discard(refresh_token)


@pytest.fixture
def idp() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
def keycloak(idp: FakeIdentityProvider) -> FakeKeycloak:
    return FakeKeycloak(idp)


@pytest.fixture
def client(keycloak: FakeKeycloak, idp: FakeIdentityProvider) -> Iterator[TestClient]:
    settings = AuthSettings(login_per_account_per_minute=5, register_per_address_per_hour=50)
    app = create_app(settings, identity=keycloak, validator=idp.validator())
    with TestClient(app) as test_client:
        yield test_client


def register(client: TestClient, email: str = "ada@example.com", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/auth/register",
        json={"email": email, "password": password, "display_name": "Ada Lovelace"},
    )


def test_register_login_me_refresh_logout(client: TestClient) -> None:
    created = register(client)
    assert created.status_code == 201
    assert created.json()["email"] == "ada@example.com"

    tokens = client.post("/auth/login", json={"email": "Ada@Example.com", "password": PASSWORD})
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["expires_in"] == 300

    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "user_id": created.json()["user_id"],
        "email": "ada@example.com",
        "name": "Ada Lovelace",
    }

    renewed = client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert renewed.status_code == 200
    refresh = renewed.json()["refresh_token"]
    assert client.post("/auth/logout", json={"refresh_token": refresh}).status_code == 204
    refused = client.post("/auth/refresh", json={"refresh_token": refresh})
    assert refused.status_code == 401
    assert "sign in again" in refused.json()["detail"]


def test_existing_email_is_409(client: TestClient) -> None:
    register(client)
    assert register(client).status_code == 409


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short1", "at least 10 characters"),
        ("ada@example.com", "must not be your email"),
        ("x" * 129, "at most 128 characters"),
    ],
)
def test_weak_password_is_422_naming_the_rule(client: TestClient, password: str, rule: str) -> None:
    response = register(client, password=password)
    assert response.status_code == 422
    assert rule in str(response.json()["detail"])


def test_bad_email_names_the_field(client: TestClient) -> None:
    response = register(client, email="not-an-email")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_wrong_password_does_not_say_which_part_was_wrong(client: TestClient) -> None:
    register(client)
    wrong_password = client.post(
        "/auth/login", json={"email": "ada@example.com", "password": "nope-nope-nope"}
    )
    unknown_user = client.post(
        "/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json() == {"detail": "invalid email or password"}


def test_login_is_throttled_per_account_with_retry_after(client: TestClient) -> None:
    register(client)
    statuses = [
        client.post(
            "/auth/login", json={"email": "ada@example.com", "password": "wrong-wrong-1"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    throttled = client.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60


def test_keycloak_down_is_503_with_a_clear_message(
    client: TestClient, keycloak: FakeKeycloak
) -> None:
    register(client)
    keycloak.down = True
    response = client.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.json()["detail"]


def test_me_without_a_token_is_401_with_www_authenticate(client: TestClient) -> None:
    response = client.get("/auth/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_passwords_and_tokens_never_reach_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        register(client)
        tokens = client.post(
            "/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        ).json()
        client.get("/auth/me", headers={"Authorization": "Bearer garbage.token.value"})
        client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert PASSWORD not in caplog.text
    assert tokens["access_token"] not in caplog.text
    assert tokens["refresh_token"] not in caplog.text
    assert "garbage.token.value" not in caplog.text
