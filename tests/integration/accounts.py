"""Real Keycloak users with real access tokens, for integration tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from keycloak import KeycloakAdmin, KeycloakOpenID

from tests.integration.servers import Servers

PASSWORD = "integration-password-1"


@dataclass(frozen=True)
class Candidate:
    """A real Keycloak user and an access token Keycloak issued to them."""

    user_id: str
    headers: dict[str, str]


def realm_admin(servers: Servers) -> KeycloakAdmin:
    """An admin client of the realm, signed in as the stack's bootstrap admin."""
    return KeycloakAdmin(
        server_url=servers.keycloak_url + "/",
        username=servers.keycloak_admin_username,
        password=servers.keycloak_admin_password,
        realm_name=servers.keycloak_realm,
        user_realm_name="master",
    )


async def new_candidate(servers: Servers, admin: KeycloakAdmin, prefix: str) -> Candidate:
    """A new user (email ``<prefix>-<random>@example.com``) and their password-grant token."""
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    user_id: str = await admin.a_create_user(
        {
            "username": email,
            "email": email,
            "firstName": prefix.capitalize(),
            "lastName": "Candidate",
            "enabled": True,
            "emailVerified": True,
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        }
    )
    openid = KeycloakOpenID(
        server_url=servers.keycloak_url + "/",
        realm_name=servers.keycloak_realm,
        client_id=servers.auth_client_id,
        client_secret_key=servers.auth_client_secret,
    )
    tokens = await openid.a_token(username=email, password=PASSWORD)
    return Candidate(user_id, {"Authorization": f"Bearer {tokens['access_token']}"})
