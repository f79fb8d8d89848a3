"""Account use cases: throttled registration, sign-in, refresh and sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable

from auth.domain.passwords import password_problem
from auth.domain.rate_limit import Limit, SlidingWindowLimiter
from auth.identity import IdentityProvider, PasswordRejected, TokenSet
from auth.settings import AuthSettings


class AccountService:
    """What the auth API does, independent of HTTP."""

    def __init__(
        self,
        identity: IdentityProvider,
        settings: AuthSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self._login_by_address = SlidingWindowLimiter(
            Limit(settings.login_per_address_per_minute, 60)
        )
        self._login_by_account = SlidingWindowLimiter(
            Limit(settings.login_per_account_per_minute, 60)
        )
        self._register_by_address = SlidingWindowLimiter(
            Limit(settings.register_per_address_per_hour, 3600)
        )
        self._register_by_account = SlidingWindowLimiter(
            Limit(settings.register_per_account_per_hour, 3600)
        )

    async def register(self, email: str, password: str, display_name: str, address: str) -> str:
        """Create an account; returns its user id."""
        now = self.clock()
        self._register_by_address.hit(address, now, "address")
        self._register_by_account.hit(email.lower(), now, "account")
        if problem := password_problem(password, email):
            raise PasswordRejected(problem)
        first, _, rest = display_name.strip().partition(" ")
        # Keycloak's default profile wants a last name; a one-word name is used for both.
        return await self.identity.create_account(email.lower(), password, first, rest or first)

    async def login(self, email: str, password: str, address: str) -> TokenSet:
        """Sign in with email and password."""
        now = self.clock()
        self._login_by_address.hit(address, now, "address")
        self._login_by_account.hit(email.lower(), now, "account")
        return await self.identity.sign_in(email.lower(), password)

    async def refresh(self, refresh_token: str) -> TokenSet:
        """Exchange a refresh token for new tokens."""
        return await self.identity.refresh(refresh_token)

    async def logout(self, refresh_token: str) -> None:
        """Revoke the session of a refresh token."""
        await self.identity.sign_out(refresh_token)
