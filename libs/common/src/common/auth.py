"""Access-token validation against a Keycloak realm, and the FastAPI `CurrentUser` dependency.

Every service validates tokens locally with the realm's public keys (JWKS): no call to Keycloak
per request. Keys are cached in memory and refetched only when a token names an unknown key id,
at most once per `min_refresh_interval`, so key rotation works and a flood of made-up key ids
cannot turn into a flood of requests to Keycloak.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Protocol

import httpx
import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

logger = logging.getLogger(__name__)

# Asymmetric algorithms Keycloak can sign with. HS* is excluded on purpose: with a public key
# as the HMAC secret anyone could forge tokens; 'none' is never acceptable.
ALLOWED_ALGORITHMS: Final[frozenset[str]] = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

# Reasons carried by InvalidToken; clients see them in the 401 body and WWW-Authenticate header.
TOKEN_EXPIRED: Final = "token expired"
TOKEN_NOT_YET_VALID: Final = "token not yet valid"
WRONG_AUDIENCE: Final = "wrong audience"
WRONG_ISSUER: Final = "wrong issuer"
BAD_SIGNATURE: Final = "bad signature"
MALFORMED_TOKEN: Final = "malformed token"
UNKNOWN_SIGNING_KEY: Final = "unknown signing key"
UNSUPPORTED_ALGORITHM: Final = "unsupported signing algorithm"
NOT_AN_ACCESS_TOKEN: Final = "not an access token"


class InvalidToken(Exception):
    """The token was presented but cannot be trusted; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuthUnavailable(Exception):
    """The realm's signing keys could not be fetched and none are cached."""


class AuthenticatedUser(BaseModel):
    """The caller, as asserted by a validated Keycloak access token."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    email: str | None = None
    name: str | None = None
    roles: frozenset[str] = frozenset()
    expires_at: datetime

    def has_role(self, role: str) -> bool:
        """Whether the realm granted this user `role`."""
        return role in self.roles


class AccessTokenValidator(Protocol):
    """Anything that turns a bearer token into an `AuthenticatedUser` (or raises)."""

    async def validate(self, token: str) -> AuthenticatedUser: ...


class TokenValidator:
    """Validates Keycloak access tokens with the realm's cached JWKS."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        jwks_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        leeway: float = 30.0,
        min_refresh_interval: float = 10.0,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the validator; no network I/O happens until the first token arrives.

        Args:
            issuer: The realm URL exactly as Keycloak writes it into `iss`, e.g.
                "http://127.0.0.1:18080/realms/mocksy" (host name included: `localhost`
                and `127.0.0.1` give different issuers).
            audience: The value that must appear in the token's `aud` (string or list).
            jwks_url: Where the realm publishes its keys; defaults to
                `{issuer}/protocol/openid-connect/certs`.
            http_client: Client used to fetch the JWKS; a short-lived one per fetch if omitted.
            leeway: Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
            min_refresh_interval: Minimum seconds between two JWKS fetches triggered by
                unknown key ids (or retries after Keycloak was unreachable).
            fetch_timeout: Seconds before a JWKS fetch is given up.
            clock: Monotonic clock, injectable so tests can move time forward.
        """
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.jwks_url = jwks_url or f"{self.issuer}/protocol/openid-connect/certs"
        self.min_refresh_interval = min_refresh_interval
        self._http_client = http_client
        self._leeway = leeway
        self._fetch_timeout = fetch_timeout
        self._clock = clock
        # None until the first successful fetch: "no keys yet" must be told apart from
        # "the realm publishes no usable key", which is a 401 rather than a 503.
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._last_fetch_at: float | None = None
        self._fetch_lock = asyncio.Lock()

    async def validate(self, token: str) -> AuthenticatedUser:
        """Check signature, expiry, issuer and audience, and return the user the token names.

        Args:
            token: The raw JWT from the `Authorization: Bearer` header.

        Raises:
            InvalidToken: The token is malformed, expired, for someone else, or not signed by
                the realm.
            AuthUnavailable: The realm's keys cannot be fetched and none are cached.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken(MALFORMED_TOKEN) from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise InvalidToken(UNSUPPORTED_ALGORITHM)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            # Keycloak always names the signing key; a token without one did not come from it.
            raise InvalidToken(MALFORMED_TOKEN)

        key = await self._signing_key(kid)
        if key.algorithm_name != algorithm:
            # Verifying with the algorithm the token asks for, rather than the key's, would
            # reopen algorithm-confusion attacks.
            raise InvalidToken(BAD_SIGNATURE)

        claims = self._decode(token, key, algorithm)
        return _user_from_claims(claims)

    async def refresh_keys(self) -> None:
        """Fetch the realm's keys now, e.g. during startup, regardless of the refresh interval.

        Raises:
            AuthUnavailable: The JWKS endpoint could not be reached or returned garbage.
        """
        async with self._fetch_lock:
            await self._fetch_keys()

    async def _signing_key(self, kid: str) -> jwt.PyJWK:
        if self._keys is not None and kid in self._keys:
            return self._keys[kid]
        async with self._fetch_lock:
            # Another request may have refreshed the keys while this one waited for the lock.
            if (self._keys is None or kid not in self._keys) and self._may_fetch():
                try:
                    await self._fetch_keys()
                except AuthUnavailable:
                    if self._keys is None:
                        raise
                    # Keycloak is down but keys are cached: this kid stays unknown.
        keys = self._keys
        if keys is None:
            raise AuthUnavailable("the identity provider's signing keys are not available")
        if kid not in keys:
            logger.info("token signed with unknown key id %r", kid)
            raise InvalidToken(UNKNOWN_SIGNING_KEY)
        return keys[kid]

    def _may_fetch(self) -> bool:
        if self._last_fetch_at is None:
            return True
        return self._clock() - self._last_fetch_at >= self.min_refresh_interval

    async def _fetch_keys(self) -> None:
        # Counted before the request so that failures are rate limited too.
        self._last_fetch_at = self._clock()
        try:
            if self._http_client is not None:
                response = await self._http_client.get(self.jwks_url, timeout=self._fetch_timeout)
            else:
                async with httpx.AsyncClient(timeout=self._fetch_timeout) as client:
                    response = await client.get(self.jwks_url)
            response.raise_for_status()
            jwks = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("could not fetch JWKS from %s: %s", self.jwks_url, exc)
            raise AuthUnavailable(f"could not fetch signing keys from {self.jwks_url}") from exc
        self._keys = _signing_keys(jwks)
        logger.info("loaded %d signing key(s) from %s", len(self._keys), self.jwks_url)

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken(TOKEN_EXPIRED) from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken(TOKEN_NOT_YET_VALID) from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(WRONG_AUDIENCE) from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(WRONG_ISSUER) from None
        except jwt.InvalidSignatureError:
            raise InvalidToken(BAD_SIGNATURE) from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(_MISSING_CLAIM_REASONS.get(exc.claim, MALFORMED_TOKEN)) from None
        except jwt.InvalidTokenError:
            raise InvalidToken(MALFORMED_TOKEN) from None


_MISSING_CLAIM_REASONS: Final[Mapping[str, str]] = {"aud": WRONG_AUDIENCE, "iss": WRONG_ISSUER}


def _signing_keys(jwks: object) -> dict[str, jwt.PyJWK]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise AuthUnavailable("the JWKS document has no 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for jwk in jwks["keys"]:
        # Keycloak also publishes an encryption key (use=enc, alg=RSA-OAEP); skip it and any
        # key type this validator would refuse anyway.
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            key = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in ALLOWED_ALGORITHMS:
            keys[kid] = key
    return keys


def _user_from_claims(claims: Mapping[str, Any]) -> AuthenticatedUser:
    # Keycloak marks its ID and refresh tokens with other `typ` values; only access tokens
    # may authorise API calls.
    token_type = claims.get("typ")
    if token_type is not None and token_type != "Bearer":
        raise InvalidToken(NOT_AN_ACCESS_TOKEN)
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidToken(MALFORMED_TOKEN)
    realm_access = claims.get("realm_access")
    raw_roles = realm_access.get("roles", []) if isinstance(realm_access, dict) else []
    roles = frozenset(role for role in raw_roles if isinstance(role, str))
    name = claims.get("name") or claims.get("preferred_username")
    email = claims.get("email")
    return AuthenticatedUser(
        user_id=subject,
        email=email if isinstance(email, str) else None,
        name=name if isinstance(name, str) else None,
        roles=roles,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
    )


# auto_error=False so that a missing header gets our own 401 (with WWW-Authenticate), while the
# scheme still documents bearer auth in the OpenAPI schema.
_bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="KeycloakBearer",
    description="An access token issued by the Mocksy Keycloak realm.",
)


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> AuthenticatedUser:
    """Resolve the caller from `Authorization: Bearer ...` with `app.state.token_validator`."""
    validator: AccessTokenValidator | None = getattr(request.app.state, "token_validator", None)
    if validator is None:
        # A wiring bug, not the caller's fault: fail loudly as a 500.
        raise RuntimeError(
            "app.state.token_validator is not set; create a TokenValidator in the app lifespan"
        )
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return await validator.validate(credentials.credentials)
    except InvalidToken as exc:
        logger.info("rejected access token on %s: %s", request.url.path, exc.reason)
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=f"invalid access token: {exc.reason}",
            headers={
                "WWW-Authenticate": (
                    f'Bearer error="invalid_token", error_description="{exc.reason}"'
                )
            },
        ) from None
    except AuthUnavailable:
        logger.warning("cannot validate access tokens: identity provider keys unavailable")
        retry_after = getattr(validator, "min_refresh_interval", 10.0)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="authentication is temporarily unavailable: "
            "the identity provider could not be reached",
            headers={"Retry-After": str(math.ceil(retry_after))},
        ) from None


CurrentUser = Annotated[AuthenticatedUser, Depends(get_current_user)]
"""The validated caller; declare `user: CurrentUser` on an endpoint to require a token."""


async def preload_signing_keys(validator: AccessTokenValidator) -> None:
    """Fetch the realm's keys at startup so tokens keep validating if Keycloak goes away later.

    A service that only fetched keys on its first request would answer 503 to every request
    during a Keycloak outage that began before that first request. Failure here is logged, not
    raised: the service still starts and fetches the keys when Keycloak answers.

    Args:
        validator: The service's validator; anything without ``refresh_keys`` is left alone.
    """
    refresh = getattr(validator, "refresh_keys", None)
    if refresh is None:
        return
    try:
        await refresh()
    except AuthUnavailable as exc:
        logger.warning("signing keys not preloaded, will fetch on demand: %s", exc)
