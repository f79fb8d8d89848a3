"""Access-token validation against a (fake) Keycloak realm and the FastAPI dependency."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from common.auth import AuthenticatedUser, AuthUnavailable, CurrentUser, InvalidToken
from common.testing.identity import FakeIdentityProvider


class ManualClock:
    """A monotonic clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def realm() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def reason_for(realm: FakeIdentityProvider, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        await realm.validator().validate(token)
    return caught.value.reason


class TestTokenValidation:
    async def test_good_token_gives_the_user_it_names(self, realm: FakeIdentityProvider) -> None:
        token = realm.token(sub="user-42", email="grace@example.com", roles=["user", "admin"])

        user = await realm.validator().validate(token)

        assert user.user_id == "user-42"
        assert user.email == "grace@example.com"
        assert user.name == "Ada Lovelace"
        assert user.roles == frozenset({"user", "admin"})
        assert user.has_role("admin")
        assert user.expires_at - datetime.now(UTC) > timedelta(minutes=4)

    async def test_name_falls_back_to_preferred_username(self, realm: FakeIdentityProvider) -> None:
        user = await realm.validator().validate(realm.token(name=None, preferred_username="ada"))

        assert user.name == "ada"

    async def test_audience_may_be_a_list(self, realm: FakeIdentityProvider) -> None:
        user = await realm.validator().validate(realm.token(audience=["account", "mocksy-api"]))

        assert user.user_id == "user-1"

    async def test_user_is_immutable(self, realm: FakeIdentityProvider) -> None:
        user = await realm.validator().validate(realm.token())

        with pytest.raises(ValueError, match="frozen"):
            user.user_id = "someone-else"  # type: ignore[misc]

    async def test_tampered_payload_is_a_bad_signature(self, realm: FakeIdentityProvider) -> None:
        header, payload, signature = realm.token(sub="user-1").split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = "user-2"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

        assert await reason_for(realm, f"{header}.{forged}.{signature}") == "bad signature"

    async def test_token_signed_by_another_key_under_our_kid_is_a_bad_signature(
        self, realm: FakeIdentityProvider
    ) -> None:
        forged = realm.other_realm_token(kid=realm.active_key.kid)

        assert await reason_for(realm, forged) == "bad signature"

    async def test_token_from_another_realm_has_an_unknown_signing_key(
        self, realm: FakeIdentityProvider
    ) -> None:
        assert await reason_for(realm, realm.other_realm_token()) == "unknown signing key"

    async def test_expired_token(self, realm: FakeIdentityProvider) -> None:
        assert await reason_for(realm, realm.token(expires_in=-120)) == "token expired"

    async def test_expiry_within_leeway_is_tolerated(self, realm: FakeIdentityProvider) -> None:
        user = await realm.validator(leeway=30).validate(realm.token(expires_in=-10))

        assert user.user_id == "user-1"

    async def test_wrong_audience(self, realm: FakeIdentityProvider) -> None:
        assert await reason_for(realm, realm.token(audience="account")) == "wrong audience"
        assert await reason_for(realm, realm.token(audience=None)) == "wrong audience"

    async def test_wrong_issuer(self, realm: FakeIdentityProvider) -> None:
        token = realm.token(issuer="http://localhost:18080/realms/mocksy")

        assert await reason_for(realm, token) == "wrong issuer"

    async def test_token_without_subject_is_malformed(self, realm: FakeIdentityProvider) -> None:
        assert await reason_for(realm, realm.token(sub=None)) == "malformed token"

    @pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "Bearer x.y.z"])
    async def test_garbage_is_malformed(self, realm: FakeIdentityProvider, garbage: str) -> None:
        assert await reason_for(realm, garbage) == "malformed token"

    async def test_id_token_is_not_an_access_token(self, realm: FakeIdentityProvider) -> None:
        assert await reason_for(realm, realm.token(token_type="ID")) == "not an access token"

    async def test_unsigned_and_hmac_tokens_are_refused_without_fetching_keys(
        self, realm: FakeIdentityProvider
    ) -> None:
        claims = {"sub": "user-1", "iss": realm.issuer, "aud": realm.audience, "exp": 2**31}
        kid = {"kid": realm.active_key.kid}
        unsigned = jwt.encode(claims, key="", algorithm="none", headers=kid)
        hmac_signed = jwt.encode(claims, key="a-guessed-secret-32-bytes-long!!", headers=kid)

        assert await reason_for(realm, unsigned) == "unsupported signing algorithm"
        assert await reason_for(realm, hmac_signed) == "unsupported signing algorithm"
        assert realm.jwks_requests == 0

    @pytest.mark.parametrize("algorithm", ["ES256", "PS256", "EdDSA"])
    async def test_other_asymmetric_algorithms_keycloak_offers(self, algorithm: str) -> None:
        realm = FakeIdentityProvider(algorithm=algorithm, kid=f"{algorithm}-key")

        user = await realm.validator().validate(realm.token())

        assert user.user_id == "user-1"


class TestSigningKeyCache:
    async def test_keys_are_fetched_once_for_many_tokens(self, realm: FakeIdentityProvider) -> None:
        validator = realm.validator()

        for n in range(20):
            await validator.validate(realm.token(sub=f"user-{n}"))

        assert realm.jwks_requests == 1

    async def test_unknown_kid_triggers_one_refetch_after_rotation(
        self, realm: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        validator = realm.validator(clock=clock, min_refresh_interval=10)
        await validator.validate(realm.token())
        clock.advance(60)

        realm.rotate_key("realm-key-2")
        user = await validator.validate(realm.token(sub="after-rotation"))

        assert user.user_id == "after-rotation"
        assert realm.jwks_requests == 2
        # Tokens signed before the rotation stay valid while Keycloak still publishes the key.
        await validator.validate(realm.token(signing_key=realm.published_keys[0]))
        assert realm.jwks_requests == 2

    async def test_a_flood_of_unknown_kids_does_not_hammer_keycloak(
        self, realm: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        validator = realm.validator(clock=clock, min_refresh_interval=10)
        await validator.validate(realm.token())

        for n in range(50):
            with pytest.raises(InvalidToken, match="unknown signing key"):
                await validator.validate(realm.token(kid=f"made-up-{n}"))
        assert realm.jwks_requests == 1

        clock.advance(10)
        for n in range(50):
            with pytest.raises(InvalidToken, match="unknown signing key"):
                await validator.validate(realm.token(kid=f"made-up-again-{n}"))
        assert realm.jwks_requests == 2

    async def test_cached_keys_keep_working_while_keycloak_is_down(
        self, realm: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        validator = realm.validator(clock=clock)
        await validator.validate(realm.token())
        realm.reachable = False
        clock.advance(3600)

        user = await validator.validate(realm.token(sub="still-works"))

        assert user.user_id == "still-works"
        with pytest.raises(InvalidToken, match="unknown signing key"):
            await validator.validate(realm.token(kid="rotated-while-down"))

    async def test_nothing_cached_and_keycloak_down_is_unavailable_then_recovers(
        self, realm: FakeIdentityProvider, clock: ManualClock
    ) -> None:
        validator = realm.validator(clock=clock, min_refresh_interval=10)
        realm.reachable = False

        with pytest.raises(AuthUnavailable):
            await validator.validate(realm.token())
        with pytest.raises(AuthUnavailable):
            await validator.validate(realm.token())

        realm.reachable = True
        clock.advance(10)
        user = await validator.validate(realm.token())
        assert user.user_id == "user-1"

    async def test_a_garbled_jwks_is_unavailable(self, realm: FakeIdentityProvider) -> None:
        garbled = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda _: httpx.Response(200, text="<html>oops"))
        )
        validator = realm.validator(http_client=garbled)

        with pytest.raises(AuthUnavailable):
            await validator.validate(realm.token())

    async def test_keys_can_be_loaded_at_startup(self, realm: FakeIdentityProvider) -> None:
        validator = realm.validator()

        await validator.refresh_keys()
        realm.reachable = False

        assert (await validator.validate(realm.token())).user_id == "user-1"


def make_app(realm: FakeIdentityProvider) -> FastAPI:
    app = FastAPI()
    app.state.token_validator = realm.validator()

    @app.get("/me")
    async def me(user: CurrentUser) -> AuthenticatedUser:
        return user

    return app


@pytest.fixture
async def api(realm: FakeIdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(realm))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        yield client


class TestCurrentUserDependency:
    async def test_good_token_reaches_the_endpoint(
        self, realm: FakeIdentityProvider, api: httpx.AsyncClient
    ) -> None:
        response = await api.get("/me", headers={"Authorization": f"Bearer {realm.token()}"})

        assert response.status_code == 200
        assert response.json()["user_id"] == "user-1"

    async def test_missing_token_is_401_with_a_bearer_challenge(
        self, api: httpx.AsyncClient
    ) -> None:
        response = await api.get("/me")

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json() == {"detail": "missing bearer token"}

    async def test_other_schemes_are_401(self, api: httpx.AsyncClient) -> None:
        response = await api.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"

    async def test_bad_token_is_401_naming_the_reason(
        self, realm: FakeIdentityProvider, api: httpx.AsyncClient
    ) -> None:
        token = realm.token(expires_in=-600)

        response = await api.get("/me", headers={"Authorization": f"Bearer {token}"})

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == (
            'Bearer error="invalid_token", error_description="token expired"'
        )
        assert response.json() == {"detail": "invalid access token: token expired"}

    async def test_keycloak_unreachable_with_no_cached_keys_is_503(
        self, realm: FakeIdentityProvider, api: httpx.AsyncClient
    ) -> None:
        realm.reachable = False

        response = await api.get("/me", headers={"Authorization": f"Bearer {realm.token()}"})

        assert response.status_code == 503
        assert "identity provider" in response.json()["detail"]
        assert response.headers["Retry-After"] == "10"

    async def test_the_token_never_reaches_the_logs(
        self,
        realm: FakeIdentityProvider,
        api: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        tokens = [realm.token(), realm.token(expires_in=-600), realm.other_realm_token()]

        for token in tokens:
            await api.get("/me", headers={"Authorization": f"Bearer {token}"})

        assert "token expired" in caplog.text
        for token in tokens:
            assert token not in caplog.text
            assert token.split(".")[2] not in caplog.text
