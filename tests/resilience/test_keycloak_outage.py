"""Keycloak stopped: issued tokens keep working from cached keys; sign-in answers 503."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from auth.app import create_app
from auth.settings import AuthSettings
from common.auth import TokenValidator
from tests.integration.servers import Servers

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack"
PASSWORD = "outage-drill-password"


def stack(*args: str) -> None:
    subprocess.run([str(STACK), *args], check=True, capture_output=True, timeout=300)


async def test_cached_keys_outlive_a_keycloak_outage(servers: Servers) -> None:
    if not STACK.exists():
        pytest.skip("needs the local stack script to stop Keycloak")
    settings = AuthSettings(
        keycloak_url=servers.keycloak_url,
        keycloak_realm=servers.keycloak_realm,
        client_id=servers.auth_client_id,
        client_secret=servers.auth_client_secret,
        keycloak_timeout_s=3,
    )
    app = create_app(settings)
    email = f"outage-{uuid.uuid4().hex[:10]}@example.com"
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
            created = await client.post(
                "/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": "Outage Drill"},
            )
            assert created.status_code == 201, created.text
            login = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
            access = login.json()["access_token"]
            # Another service has seen one token, so it holds the realm's keys.
            validator = TokenValidator(settings.keycloak_issuer, settings.api_audience)
            await validator.validate(access)

            stack("down", "keycloak")
            try:
                user = await validator.validate(access)
                assert user.email == email
                me = await client.get("/auth/me", headers={"Authorization": f"Bearer {access}"})
                assert me.status_code == 200
                refused = await client.post(
                    "/auth/login", json={"email": email, "password": PASSWORD}
                )
                assert refused.status_code == 503
                assert "temporarily unavailable" in refused.json()["detail"]
                assert refused.headers["Retry-After"]
            finally:
                stack("up", "keycloak")

            # A freshly started Keycloak can be slow on its first token requests, so the client
            # does what the 503 asks: it retries after Retry-After, within a minute.
            deadline = time.monotonic() + 60
            while True:
                back = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
                if back.status_code != 503 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(min(float(back.headers.get("Retry-After", "1")), 2.0))
            assert back.status_code == 200, back.text
