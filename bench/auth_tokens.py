"""Auth costs: validating one access token with cached keys, and sign-in through Keycloak.

Needs the local stack (`deploy/local/stack up && source .stack/env`). Prints µs per validation
(p50/p95 over many calls) and login p50/p95 through the auth service in-process.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid

import httpx
from asgi_lifespan import LifespanManager

from auth.app import create_app
from auth.settings import AuthSettings
from common.auth import TokenValidator

LOGINS = 60
VALIDATIONS = 5_000
PASSWORD = "benchmark-password-1"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    keycloak = os.environ["KEYCLOAK_URL"]
    settings = AuthSettings(
        keycloak_url=keycloak,
        login_per_account_per_minute=10_000,
        login_per_address_per_minute=10_000,
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
            email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
            created = await client.post(
                "/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": "Bench Mark"},
            )
            created.raise_for_status()
            login_ms: list[float] = []
            token = ""
            for _ in range(LOGINS):
                started = time.perf_counter()
                response = await client.post(
                    "/auth/login", json={"email": email, "password": PASSWORD}
                )
                login_ms.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                token = response.json()["access_token"]

    validator = TokenValidator(settings.keycloak_issuer, settings.api_audience)
    await validator.validate(token)  # fetches and caches the realm's keys once
    validate_us: list[float] = []
    for _ in range(VALIDATIONS):
        started = time.perf_counter()
        await validator.validate(token)
        validate_us.append((time.perf_counter() - started) * 1_000_000)

    print(
        f"token validation, cached keys: n={VALIDATIONS} "
        f"p50={statistics.median(validate_us):.0f} µs p95={percentile(validate_us, 0.95):.0f} µs "
        f"({VALIDATIONS / (sum(validate_us) / 1e6):.0f} validations/s on one core)"
    )
    print(
        f"login through Keycloak:        n={LOGINS} "
        f"p50={statistics.median(login_ms):.1f} ms p95={percentile(login_ms, 0.95):.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
