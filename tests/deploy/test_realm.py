"""The realm as code says what issue #4 asks of it (the live behaviour is in tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REALM = json.loads(
    (Path(__file__).resolve().parents[2] / "deploy" / "keycloak" / "mocksy-realm.json").read_text()
)


def client(client_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in REALM["clients"] if c["clientId"] == client_id)
    return found


def audiences(entry: dict[str, Any]) -> set[str]:
    return {
        m["config"].get("included.custom.audience")
        for m in entry.get("protocolMappers", [])
        if m["protocolMapper"] == "oidc-audience-mapper"
    }


def test_the_web_client_is_public_with_pkce_and_local_redirects() -> None:
    web = client("mocksy-web")
    assert web["publicClient"] is True
    assert web["standardFlowEnabled"] is True
    assert web["directAccessGrantsEnabled"] is False
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert all(
        uri.startswith(("http://localhost", "http://127.0.0.1")) for uri in web["redirectUris"]
    )
    assert audiences(web) == {"mocksy-api"}


def test_the_auth_client_is_confidential_with_direct_grants_and_a_marked_dev_secret() -> None:
    auth = client("mocksy-auth")
    assert auth["publicClient"] is False
    assert auth["directAccessGrantsEnabled"] is True
    assert auth["standardFlowEnabled"] is False
    assert auth["secret"].startswith("dev-only")
    assert audiences(auth) == {"mocksy-api"}


def test_the_service_account_can_only_manage_users() -> None:
    account = next(u for u in REALM["users"] if u["username"] == "service-account-mocksy-auth")
    assert account["clientRoles"] == {
        "realm-management": ["manage-users", "view-users", "query-users"]
    }
    assert not account.get("realmRoles")


def test_policy_lockout_and_token_lifetimes() -> None:
    assert REALM["passwordPolicy"] == "length(10) and notUsername and notEmail"
    assert REALM["bruteForceProtected"] is True
    assert REALM["permanentLockout"] is False
    assert REALM["accessTokenLifespan"] == 300
    assert REALM["ssoSessionIdleTimeout"] == 1800


def test_the_web_app_origins_may_exchange_codes_for_tokens() -> None:
    # "+" derives nothing from wildcard redirect URIs: Keycloak answered the browser's token
    # request with 403 "Invalid origin". The dev server (5173) and the e2e server (5174) are named.
    web = client("mocksy-web")
    assert {"http://127.0.0.1:5173", "http://127.0.0.1:5174"} <= set(web["webOrigins"])
    assert "+" not in web["webOrigins"]
