"""A stand-in for a Keycloak realm: signs access tokens and serves its JWKS in memory."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from common.auth import TokenValidator

DEFAULT_ISSUER: Final = "http://keycloak.test/realms/mocksy"
DEFAULT_AUDIENCE: Final = "mocksy-api"

_UNSET: Final[Any] = object()

SigningPrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@cache
def _private_key(kid: str, algorithm: str) -> SigningPrivateKey:
    # Cached per process: RSA key generation costs tens of milliseconds and tests make many
    # providers with the same key ids.
    if algorithm.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    if algorithm == "ES512":
        return ec.generate_private_key(ec.SECP521R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"no asymmetric key type for algorithm {algorithm!r}")


@dataclass(frozen=True)
class SigningKey:
    """One key pair of the fake realm (or of a foreign one)."""

    kid: str
    algorithm: str = "RS256"

    @property
    def private_key(self) -> SigningPrivateKey:
        """The private half, used to sign tokens."""
        return _private_key(self.kid, self.algorithm)

    def public_jwk(self) -> dict[str, Any]:
        """The public half as Keycloak publishes it in the JWKS."""
        public_key = self.private_key.public_key()
        jwk: dict[str, Any] = jwt.get_algorithm_by_name(self.algorithm).to_jwk(
            public_key, as_dict=True
        )
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


class FakeIdentityProvider:
    """A Keycloak realm for unit tests: mints tokens with chosen claims and serves a JWKS.

    The JWKS is served through `httpx.MockTransport`, so a `TokenValidator` built with
    `validator()` goes through its real HTTP code path without a network. Set `reachable`
    to False to simulate Keycloak being down; `jwks_requests` counts fetches.
    """

    def __init__(
        self,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        *,
        algorithm: str = "RS256",
        kid: str = "realm-key-1",
    ) -> None:
        """Create a realm with one active signing key.

        Args:
            issuer: The realm URL written into `iss`.
            audience: The default `aud` of minted tokens.
            algorithm: Signing algorithm of the active key.
            kid: Key id of the active key.
        """
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = f"{issuer}/protocol/openid-connect/certs"
        self.active_key = SigningKey(kid, algorithm)
        self.published_keys: list[SigningKey] = [self.active_key]
        # Keycloak's realm keys, distinct from ours, with a kid this realm never published.
        self.other_realm_key = SigningKey("other-realm-key-1", "RS256")
        self.reachable = True
        self.jwks_requests = 0
        self.http_client = httpx.AsyncClient(transport=httpx.MockTransport(self._serve))

    def validator(self, **overrides: Any) -> TokenValidator:
        """A `TokenValidator` for this realm that fetches the JWKS through the fake transport.

        Args:
            **overrides: Keyword arguments passed on to `TokenValidator`.
        """
        options: dict[str, Any] = {"http_client": self.http_client, **overrides}
        return TokenValidator(self.issuer, self.audience, **options)

    def rotate_key(self, kid: str, *, keep_previous: bool = True) -> SigningKey:
        """Start signing with a new key, as after a Keycloak key rotation.

        Args:
            kid: Key id of the new active key.
            keep_previous: Keep publishing the old keys (Keycloak keeps them as passive keys
                until an admin removes them).
        """
        self.active_key = SigningKey(kid, self.active_key.algorithm)
        if keep_previous:
            self.published_keys.append(self.active_key)
        else:
            self.published_keys = [self.active_key]
        return self.active_key

    def token(
        self,
        *,
        sub: str | None = "user-1",
        email: str | None = "ada@example.com",
        name: str | None = "Ada Lovelace",
        preferred_username: str | None = "ada",
        roles: Iterable[str] = ("user",),
        expires_in: float = 300,
        audience: str | list[str] | None = _UNSET,
        issuer: str | None = _UNSET,
        kid: str | None = _UNSET,
        signing_key: SigningKey | None = None,
        token_type: str | None = "Bearer",
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """Mint an access token shaped like Keycloak's; pass None to leave a claim out.

        Args:
            sub: The user id.
            email: The `email` claim.
            name: The `name` claim (Keycloak's "first last").
            preferred_username: The `preferred_username` claim.
            roles: Realm roles, written to `realm_access.roles`.
            expires_in: Seconds from now until `exp`; negative for an expired token.
            audience: `aud` as a string or list; defaults to this realm's audience.
            issuer: `iss`; defaults to this realm's issuer.
            kid: The `kid` header; defaults to the signing key's id.
            signing_key: Key to sign with; defaults to the active key.
            token_type: Keycloak's `typ` claim ("Bearer" for access tokens, "ID", "Refresh").
            claims: Extra claims, overriding the ones above.
        """
        key = signing_key or self.active_key
        now = int(time.time())
        payload: dict[str, Any] = {
            "exp": now + int(expires_in),
            "iat": now,
            "jti": f"jti-{now}",
            "iss": self.issuer if issuer is _UNSET else issuer,
            "aud": self.audience if audience is _UNSET else audience,
            "sub": sub,
            "typ": token_type,
            "azp": "mocksy-web",
            "realm_access": {"roles": list(roles)},
            "email": email,
            "name": name,
            "preferred_username": preferred_username,
        }
        payload.update(claims or {})
        payload = {claim: value for claim, value in payload.items() if value is not None}
        headers: dict[str, Any] = {"kid": key.kid if kid is _UNSET else kid}
        if headers["kid"] is None:
            del headers["kid"]
        return jwt.encode(payload, key.private_key, algorithm=key.algorithm, headers=headers)

    def other_realm_token(self, *, kid: str | None = _UNSET, **options: Any) -> str:
        """A token with this realm's claims signed by a key this realm never published.

        Args:
            kid: The `kid` header; defaults to the other realm's own key id. Pass this realm's
                active kid to imitate a forgery.
            **options: Claims as for `token()`.
        """
        return self.token(signing_key=self.other_realm_key, kid=kid, **options)

    def jwks(self) -> dict[str, Any]:
        """The JWKS document, including an encryption key the validator must ignore."""
        encryption_key = {
            **SigningKey("realm-enc-key", "RS256").public_jwk(),
            "alg": "RSA-OAEP",
            "use": "enc",
        }
        return {"keys": [key.public_jwk() for key in self.published_keys] + [encryption_key]}

    def _serve(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("connection refused (fake identity provider is down)")
        if str(request.url) != self.jwks_url:
            return httpx.Response(404, json={"error": "not found"})
        self.jwks_requests += 1
        return httpx.Response(200, json=self.jwks())
