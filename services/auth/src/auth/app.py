"""The auth service: a thin, throttled facade over Keycloak for clients without a browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from auth.api.routes import router
from auth.domain.rate_limit import Throttled
from auth.identity import (
    AccountExists,
    BadCredentials,
    IdentityProvider,
    IdentityUnavailable,
    InvalidRefreshToken,
    KeycloakIdentityProvider,
    PasswordRejected,
)
from auth.service import AccountService
from auth.settings import AuthSettings
from common.auth import AccessTokenValidator, TokenValidator, preload_signing_keys
from common.observability import ServiceMetrics, install_observability


def create_app(
    settings: AuthSettings | None = None,
    *,
    identity: IdentityProvider | None = None,
    validator: AccessTokenValidator | None = None,
) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""
    settings = settings or AuthSettings()
    metrics = ServiceMetrics("auth")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=5.0) as http:
            app.state.http = http
            app.state.token_validator = validator or TokenValidator(
                settings.keycloak_issuer, settings.api_audience, http_client=http
            )
            await preload_signing_keys(app.state.token_validator)
            app.state.accounts = AccountService(
                identity
                or KeycloakIdentityProvider(
                    settings.keycloak_url,
                    settings.keycloak_realm,
                    settings.client_id,
                    settings.client_secret.get_secret_value(),
                    settings.keycloak_timeout_s,
                ),
                settings,
            )
            yield

    app = FastAPI(
        title="Mocksy auth",
        version="0.1.0",
        description="Sign-up, sign-in, refresh, sign-out and me, backed by Keycloak.",
        lifespan=lifespan,
    )

    async def keycloak_ready() -> None:
        http: httpx.AsyncClient = app.state.http
        response = await http.get(f"{settings.keycloak_issuer}/.well-known/openid-configuration")
        response.raise_for_status()

    install_observability(
        app,
        metrics,
        checks={} if identity else {"keycloak": keycloak_ready},
        max_body_bytes=settings.max_request_bytes,
        allowed_origins=settings.web_origins,
    )
    app.include_router(router)
    _map_errors(app)
    return app


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(Throttled)
    async def throttled(_: Request, error: Throttled) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(error.retry_after_s)},
        )

    @app.exception_handler(AccountExists)
    async def exists(_: Request, __: AccountExists) -> JSONResponse:
        return JSONResponse(
            {"detail": "an account with this email already exists"},
            status_code=status.HTTP_409_CONFLICT,
        )

    @app.exception_handler(PasswordRejected)
    async def weak_password(_: Request, error: PasswordRejected) -> JSONResponse:
        return JSONResponse(
            {
                "detail": [
                    {"loc": ["body", "password"], "msg": str(error), "type": "password_policy"}
                ]
            },
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @app.exception_handler(BadCredentials)
    async def bad_credentials(_: Request, __: BadCredentials) -> JSONResponse:
        # Never say whether the email or the password was wrong, or that the account is locked.
        return JSONResponse(
            {"detail": "invalid email or password"},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(InvalidRefreshToken)
    async def bad_refresh(_: Request, __: InvalidRefreshToken) -> JSONResponse:
        return JSONResponse(
            {"detail": "refresh token is invalid, expired or signed out; sign in again"},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )

    @app.exception_handler(IdentityUnavailable)
    async def unavailable(_: Request, __: IdentityUnavailable) -> JSONResponse:
        return JSONResponse(
            {
                "detail": "sign-in is temporarily unavailable: "
                "the identity provider is not answering"
            },
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "10"},
        )
