"""The auth service and common.auth against the real Keycloak realm imported by the stack."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from keycloak import KeycloakAdmin, KeycloakOpenID

from auth.app import create_app as create_auth_app
from auth.settings import AuthSettings
from common.auth import CurrentUser, InvalidToken, TokenValidator
from common.observability import ServiceMetrics, install_observability
from common.testing.identity import FakeIdentityProvider
from tests.integration.servers import Servers

PASSWORD = "practice-makes-perfect"


def auth_settings(servers: Servers, **overrides: object) -> AuthSettings:
    fields: dict[str, object] = {
        "keycloak_url": servers.keycloak_url,
        "keycloak_realm": servers.keycloak_realm,
        "client_id": servers.auth_client_id,
        "client_secret": servers.auth_client_secret,
    }
    return AuthSettings.model_validate(fields | overrides)


@pytest.fixture
async def auth_api(servers: Servers) -> AsyncIterator[httpx.AsyncClient]:
    app = create_auth_app(auth_settings(servers))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
            yield client


def second_service(servers: Servers) -> FastAPI:
    """Any other Mocksy service: it only validates tokens with common.auth."""
    app = FastAPI()
    app.state.token_validator = TokenValidator(servers.keycloak_issuer, "mocksy-api")
    install_observability(app, ServiceMetrics("other"))

    @app.get("/mine")
    async def mine(user: CurrentUser) -> dict[str, str]:
        return {"user_id": user.user_id}

    return app


def new_email() -> str:
    return f"candidate-{uuid.uuid4().hex[:10]}@example.com"


async def test_register_login_me_refresh_logout(auth_api: httpx.AsyncClient) -> None:
    email = new_email()
    created = await auth_api.post(
        "/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Grace Hopper"},
    )
    assert created.status_code == 201, created.text
    again = await auth_api.post(
        "/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Grace Hopper"},
    )
    assert again.status_code == 409

    tokens = await auth_api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert 295 <= body["expires_in"] <= 300  # the realm's 5 minutes, less a second tick

    me = await auth_api.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json() == {
        "user_id": created.json()["user_id"],
        "email": email,
        "name": "Grace Hopper",
    }

    renewed = await auth_api.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    refresh = renewed.json()["refresh_token"]
    assert (await auth_api.post("/auth/logout", json={"refresh_token": refresh})).status_code == 204
    refused = await auth_api.post("/auth/refresh", json={"refresh_token": refresh})
    assert refused.status_code == 401


async def test_keycloak_password_policy_is_enforced(auth_api: httpx.AsyncClient) -> None:
    email = new_email()
    response = await auth_api.post(
        "/auth/register", json={"email": email, "password": "short", "display_name": "Al"}
    )
    assert response.status_code == 422
    assert "at least 10 characters" in response.text


async def test_wrong_password_is_401_without_saying_which_part(auth_api: httpx.AsyncClient) -> None:
    email = new_email()
    await auth_api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Alan Turing"}
    )
    wrong = await auth_api.post(
        "/auth/login", json={"email": email, "password": "not-the-password"}
    )
    unknown = await auth_api.post("/auth/login", json={"email": new_email(), "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid email or password"}


async def test_repeated_failures_lock_the_account(auth_api: httpx.AsyncClient) -> None:
    email = new_email()
    await auth_api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Edsger D"}
    )
    for _ in range(5):  # the realm's failureFactor
        response = await auth_api.post(
            "/auth/login", json={"email": email, "password": "wrong-guess-1"}
        )
        assert response.status_code == 401
    # Even the right password is refused while the account is locked, with the same message.
    locked = await auth_api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert locked.status_code == 401
    assert locked.json() == {"detail": "invalid email or password"}


async def test_a_second_service_accepts_real_tokens_and_rejects_bad_ones(
    auth_api: httpx.AsyncClient, servers: Servers
) -> None:
    email = new_email()
    await auth_api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Ada L"}
    )
    access = (
        await auth_api.post("/auth/login", json={"email": email, "password": PASSWORD})
    ).json()["access_token"]
    other = second_service(servers)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=other), base_url="http://x"
    ) as c:
        good = await c.get("/mine", headers={"Authorization": f"Bearer {access}"})
        assert good.status_code == 200

        forged = FakeIdentityProvider(issuer=servers.keycloak_issuer).token(sub="intruder")
        other_realm = await c.get("/mine", headers={"Authorization": f"Bearer {forged}"})
        assert other_realm.status_code == 401
        assert "unknown signing key" in other_realm.json()["detail"]

    wrong_audience = TokenValidator(servers.keycloak_issuer, "some-other-api")
    with pytest.raises(InvalidToken, match="wrong audience"):
        await wrong_audience.validate(access)
    wrong_issuer = TokenValidator(
        servers.keycloak_issuer.replace("127.0.0.1", "localhost"),
        "mocksy-api",
        jwks_url=f"{servers.keycloak_issuer}/protocol/openid-connect/certs",
    )
    with pytest.raises(InvalidToken, match="wrong issuer"):
        await wrong_issuer.validate(access)


async def test_an_expired_real_token_is_rejected(
    servers: Servers, auth_api: httpx.AsyncClient
) -> None:
    email = new_email()
    await auth_api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Kat J"}
    )
    # A throwaway client whose access tokens live 2 s, so a real token expires within the test.
    admin = KeycloakAdmin(
        server_url=servers.keycloak_url + "/",
        username=servers.keycloak_admin_username,
        password=servers.keycloak_admin_password,
        realm_name=servers.keycloak_realm,
        user_realm_name="master",
    )
    client_id = f"it-short-{uuid.uuid4().hex[:8]}"
    internal_id = await admin.a_create_client(
        {
            "clientId": client_id,
            "publicClient": True,
            "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False,
            "attributes": {"access.token.lifespan": "2"},
            "protocolMappers": [
                {
                    "name": "api-audience",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {
                        "included.custom.audience": "mocksy-api",
                        "access.token.claim": "true",
                    },
                }
            ],
        }
    )
    try:
        openid = KeycloakOpenID(
            server_url=servers.keycloak_url + "/",
            realm_name=servers.keycloak_realm,
            client_id=client_id,
        )
        access = (await openid.a_token(username=email, password=PASSWORD))["access_token"]
        validator = TokenValidator(servers.keycloak_issuer, "mocksy-api", leeway=0)
        assert (await validator.validate(access)).email == email
        await asyncio.sleep(3.5)
        with pytest.raises(InvalidToken, match="token expired"):
            await validator.validate(access)
    finally:
        await admin.a_delete_client(internal_id)
