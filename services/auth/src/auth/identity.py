"""The identity provider port and its Keycloak adapter (python-keycloak)."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakError
from pydantic import BaseModel

logger = logging.getLogger("mocksy.auth.identity")


class TokenSet(BaseModel):
    """Tokens handed to a client after sign-in or refresh."""

    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_expires_in: int


class IdentityUnavailable(Exception):
    """Keycloak could not be reached or answered with a server error."""


class AccountExists(Exception):
    """An account with this email already exists."""


class PasswordRejected(Exception):
    """The realm's password policy refused the password; the message names the rule."""


class BadCredentials(Exception):
    """Wrong email or password, or a locked account; deliberately not more specific."""


class InvalidRefreshToken(Exception):
    """The refresh token is expired, revoked or not ours."""


class IdentityProvider(Protocol):
    """Where accounts and passwords live."""

    async def create_account(
        self, email: str, password: str, first_name: str, last_name: str
    ) -> str: ...

    async def sign_in(self, email: str, password: str) -> TokenSet: ...

    async def refresh(self, refresh_token: str) -> TokenSet: ...

    async def sign_out(self, refresh_token: str) -> None: ...


# Keycloak's message keys for password-policy failures, in words a candidate understands.
_POLICY_MESSAGES = {
    "invalidPasswordMinLengthMessage": "password must be at least {0} characters",
    "invalidPasswordMaxLengthMessage": "password must be at most {0} characters",
    "invalidPasswordNotUsernameMessage": "password must not be your username",
    "invalidPasswordNotEmailMessage": "password must not be your email address",
    "invalidPasswordMinDigitsMessage": "password must contain at least {0} digits",
    "invalidPasswordHistoryMessage": "password must not be one of your last {0} passwords",
}


def _error_body(error: KeycloakError) -> dict[str, Any]:
    raw = error.response_body or error.error_message
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        body = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {"error": str(raw)}
    return body if isinstance(body, dict) else {}


def _is_server_side(error: KeycloakError) -> bool:
    return isinstance(error, KeycloakConnectionError) or (error.response_code or 0) >= 500


def _token_set(payload: dict[str, Any]) -> TokenSet:
    return TokenSet(
        access_token=payload["access_token"],
        refresh_token=payload["refresh_token"],
        token_type=payload.get("token_type", "Bearer"),
        expires_in=int(payload["expires_in"]),
        refresh_expires_in=int(payload.get("refresh_expires_in", 0)),
    )


class KeycloakIdentityProvider:
    """Accounts in a Keycloak realm: users created by the client's service account, tokens by
    the direct-access grant of a confidential client."""

    def __init__(
        self, server_url: str, realm: str, client_id: str, client_secret: str, timeout: float
    ) -> None:
        base = server_url.rstrip("/") + "/"
        self._openid = KeycloakOpenID(
            server_url=base,
            realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=int(timeout),
        )
        self._admin = KeycloakAdmin(
            server_url=base,
            realm_name=realm,
            user_realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=int(timeout),
        )

    async def create_account(
        self, email: str, password: str, first_name: str, last_name: str
    ) -> str:
        """Create an enabled user whose username is the email; returns the user id."""
        payload = {
            "username": email,
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "enabled": True,
            "emailVerified": True,
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
        try:
            user_id: str = await self._admin.a_create_user(payload, exist_ok=False)
        except KeycloakError as error:
            if _is_server_side(error):
                raise IdentityUnavailable(str(error.response_code)) from None
            if error.response_code == 409:
                raise AccountExists from None
            body = _error_body(error)
            key = str(body.get("errorMessage") or body.get("error") or "")
            if key in _POLICY_MESSAGES:
                params = body.get("params") or [""]
                raise PasswordRejected(_POLICY_MESSAGES[key].format(*params)) from None
            logger.error("keycloak refused to create a user: %s %s", error.response_code, key)
            raise
        return user_id

    async def sign_in(self, email: str, password: str) -> TokenSet:
        """Password grant for ``email``."""
        try:
            return _token_set(await self._openid.a_token(username=email, password=password))
        except KeycloakError as error:
            if _is_server_side(error):
                raise IdentityUnavailable(str(error.response_code)) from None
            raise BadCredentials from None

    async def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens for a valid refresh token."""
        try:
            return _token_set(await self._openid.a_refresh_token(refresh_token))
        except KeycloakError as error:
            if _is_server_side(error):
                raise IdentityUnavailable(str(error.response_code)) from None
            raise InvalidRefreshToken from None

    async def sign_out(self, refresh_token: str) -> None:
        """End the session the refresh token belongs to."""
        try:
            await self._openid.a_logout(refresh_token)
        except KeycloakError as error:
            if _is_server_side(error):
                raise IdentityUnavailable(str(error.response_code)) from None
            raise InvalidRefreshToken from None
