"""Forged, altered and misdirected access tokens get 401 with the reason, on every service.

Each attack starts from a real token the realm issued to a real user and goes through the HTTP
routes of the five apps (running against the real Keycloak, Kafka and MongoDB-compatible
server): ``alg: none``, HMAC signed with the realm's public key, signed with another key under
the realm's key id, a payload changed after signing, an expired token, a token for another
client, a token of another realm, and a refresh token presented as an access token. Never 200,
never 500. ``common.auth``'s own unit tests cover the validator alone
(``libs/common/tests/unit/test_auth.py``); here the whole request path is exercised.

Keycloak signs only tokens naming its own issuer, so a well-signed token with a *wrong issuer*
cannot come from it: that case runs against the same five apps built over a stand-in realm
whose key the test holds (``tests/resilience/apps.py``).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from keycloak import KeycloakAdmin, KeycloakOpenID

from common.auth import (
    BAD_SIGNATURE,
    MALFORMED_TOKEN,
    TOKEN_EXPIRED,
    UNKNOWN_SIGNING_KEY,
    UNSUPPORTED_ALGORITHM,
    WRONG_AUDIENCE,
    WRONG_ISSUER,
)
from common.testing.identity import FakeIdentityProvider
from tests.integration.accounts import PASSWORD, Candidate, realm_admin
from tests.integration.servers import Servers
from tests.resilience.apps import APPS, USER
from tests.resilience.fleet import Fleet

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

# A route of each service that needs a token, and what a valid token gets from it.
GUARDED: dict[str, tuple[str, int]] = {
    "auth": ("/auth/me", 200),
    "interview-builder": ("/interviews", 200),
    "voice-agent": ("/sessions/no-such-session", 404),
    "scoring": ("/feedback/no-such-session", 404),
    "history": ("/history/feedback", 200),
}
# The validator's clock-skew allowance (TokenValidator's default), and a little more.
LEEWAY_S = 30 + 2


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, claims and signature of a token, none of them checked."""
    return (
        jwt.get_unverified_header(token),
        jwt.decode(token, options={"verify_signature": False}),
        token.rsplit(".", 1)[1],
    )


def _encode(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return ".".join(
        (_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), signature)
    )


@dataclass(frozen=True)
class Realm:
    """Real tokens of the realm, and of its neighbours, for candidate A."""

    access: str
    refresh: str
    public_pem: bytes
    other_client: str
    other_realm: str
    short_lived: str
    other_user_id: str


async def _short_lived_token(admin: KeycloakAdmin, servers: Servers, email: str) -> str:
    """A real access token that lives one second, from a client made for the test and removed."""
    client_id = f"mocksy-expiry-test-{uuid.uuid4().hex[:8]}"
    internal = await admin.a_create_client(
        {
            "clientId": client_id,
            "publicClient": True,
            "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False,
            "attributes": {"access.token.lifespan": "1"},
            "protocolMappers": [
                {
                    "name": "audience mocksy-api",
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
        tokens = await openid.a_token(username=email, password=PASSWORD)
        return str(tokens["access_token"])
    finally:
        await admin.a_delete_client(internal)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def realm(servers: Servers, pair: tuple[Candidate, Candidate]) -> Realm:
    a, b = pair
    admin = realm_admin(servers)
    email = (await admin.a_get_user(a.user_id))["email"]
    server = servers.keycloak_url + "/"
    ours = KeycloakOpenID(
        server_url=server,
        realm_name=servers.keycloak_realm,
        client_id=servers.auth_client_id,
        client_secret_key=servers.auth_client_secret,
    )
    tokens = await ours.a_token(username=email, password=PASSWORD)
    header = jwt.get_unverified_header(tokens["access_token"])
    jwks = await ours.a_certs()
    (signing,) = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    public_pem = jwt.PyJWK(signing).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Keycloak's own command-line client in the same realm: its tokens name no mocksy-api.
    admin_cli = KeycloakOpenID(
        server_url=server, realm_name=servers.keycloak_realm, client_id="admin-cli"
    )
    other_client = await admin_cli.a_token(username=email, password=PASSWORD)
    master = KeycloakOpenID(server_url=server, realm_name="master", client_id="admin-cli")
    other_realm = await master.a_token(
        username=servers.keycloak_admin_username, password=servers.keycloak_admin_password
    )
    return Realm(
        access=tokens["access_token"],
        refresh=tokens["refresh_token"],
        public_pem=public_pem,
        other_client=other_client["access_token"],
        other_realm=other_realm["access_token"],
        short_lived=await _short_lived_token(admin, servers, email),
        other_user_id=b.user_id,
    )


def _alg_none(realm: Realm) -> str:
    header, claims, _ = _parts(realm.access)
    return _encode({**header, "alg": "none"}, claims)


def _hmac_with_public_key(realm: Realm) -> str:
    # The classic algorithm confusion: the public key, which anyone can fetch, as an HMAC secret.
    header, claims, _ = _parts(realm.access)
    signing_input = _encode({**header, "alg": "HS256"}, claims).rstrip(".")
    signature = hmac.new(realm.public_pem, signing_input.encode(), sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _another_key(realm: Realm) -> str:
    header, claims, _ = _parts(realm.access)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": header["kid"]})


def _unknown_key_id(realm: Realm) -> str:
    header, claims, signature = _parts(realm.access)
    return _encode({**header, "kid": "made-up-key-id"}, claims, signature)


def _someone_else(realm: Realm) -> str:
    header, claims, signature = _parts(realm.access)
    return _encode(header, {**claims, "sub": realm.other_user_id}, signature)


def _longer_life(realm: Realm) -> str:
    header, claims, signature = _parts(realm.access)
    return _encode(header, {**claims, "exp": claims["exp"] + 86_400}, signature)


def _garbage(realm: Realm) -> str:
    return realm.access[: len(realm.access) // 2]


ATTACKS: dict[str, tuple[Callable[[Realm], str], str]] = {
    "alg none": (_alg_none, UNSUPPORTED_ALGORITHM),
    "HS256 with the realm's public key": (_hmac_with_public_key, UNSUPPORTED_ALGORITHM),
    "signed with another key, realm's kid": (_another_key, BAD_SIGNATURE),
    "unknown key id": (_unknown_key_id, UNKNOWN_SIGNING_KEY),
    "sub changed, signature kept": (_someone_else, BAD_SIGNATURE),
    "exp extended, signature kept": (_longer_life, BAD_SIGNATURE),
    "truncated": (_garbage, MALFORMED_TOKEN),
    "another client's token (wrong audience)": (lambda r: r.other_client, WRONG_AUDIENCE),
    "another realm's token": (lambda r: r.other_realm, UNKNOWN_SIGNING_KEY),
    # Keycloak signs refresh tokens with HS512 and a secret of its own.
    "refresh token as access token": (lambda r: r.refresh, UNSUPPORTED_ALGORITHM),
}


def _assert_refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, f"{response.status_code}: {response.text[:300]}"
    assert response.json() == {"detail": f"invalid access token: {reason}"}
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("service", sorted(GUARDED))
async def test_the_realms_own_token_is_accepted(service: str, fleet: Fleet, realm: Realm) -> None:
    path, expected = GUARDED[service]

    response = await fleet.apis[service].get(
        path, headers={"Authorization": f"Bearer {realm.access}"}
    )

    assert response.status_code == expected, response.text


@pytest.mark.parametrize("service", sorted(GUARDED))
@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_an_altered_or_foreign_token_is_refused(
    attack: str, service: str, fleet: Fleet, realm: Realm
) -> None:
    forge, reason = ATTACKS[attack]
    path, _ = GUARDED[service]

    response = await fleet.apis[service].get(
        path, headers={"Authorization": f"Bearer {forge(realm)}"}
    )

    _assert_refused(response, reason)


@pytest.mark.parametrize("service", sorted(GUARDED))
async def test_no_token_is_refused(service: str, fleet: Fleet) -> None:
    path, _ = GUARDED[service]

    response = await fleet.apis[service].get(path)

    assert response.status_code == 401
    assert response.json() == {"detail": "missing bearer token"}


async def test_an_expired_token_is_refused_by_every_service(fleet: Fleet, realm: Realm) -> None:
    expires = jwt.decode(realm.short_lived, options={"verify_signature": False})["exp"]
    before = {
        service: await fleet.apis[service].get(
            path, headers={"Authorization": f"Bearer {realm.short_lived}"}
        )
        for service, (path, _) in GUARDED.items()
    }
    # Past its expiry and the clock-skew allowance every service grants.
    await asyncio.sleep(max(0.0, expires + LEEWAY_S - time.time()))

    for service, (path, expected) in GUARDED.items():
        response = await fleet.apis[service].get(
            path, headers={"Authorization": f"Bearer {realm.short_lived}"}
        )

        assert before[service].status_code == expected, service
        _assert_refused(response, TOKEN_EXPIRED)


@pytest_asyncio.fixture(loop_scope="module")
async def stand_in_apps() -> AsyncIterator[
    tuple[FakeIdentityProvider, dict[str, httpx.AsyncClient]]
]:
    """The five apps over in-memory stores, trusting a stand-in realm whose key the test holds."""
    stand_in = FakeIdentityProvider()
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for service, factory in APPS.items():
            manager = await stack.enter_async_context(LifespanManager(factory(stand_in)))
            clients[service] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{service}"
                )
            )
        yield stand_in, clients


@pytest.mark.parametrize("service", sorted(GUARDED))
async def test_a_well_signed_token_from_another_issuer_is_refused(
    service: str, stand_in_apps: tuple[FakeIdentityProvider, dict[str, httpx.AsyncClient]]
) -> None:
    stand_in, clients = stand_in_apps
    path, _ = GUARDED[service]
    right = stand_in.token(sub=USER)
    wrong = stand_in.token(sub=USER, issuer="http://attacker.example/realms/mocksy")

    accepted = await clients[service].get(path, headers={"Authorization": f"Bearer {right}"})
    refused = await clients[service].get(path, headers={"Authorization": f"Bearer {wrong}"})

    assert accepted.status_code != 401, accepted.text
    _assert_refused(refused, WRONG_ISSUER)
