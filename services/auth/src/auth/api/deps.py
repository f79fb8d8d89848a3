"""Dependencies of the auth routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from auth.service import AccountService


def get_accounts(request: Request) -> AccountService:
    """The account service built in the lifespan."""
    accounts: AccountService = request.app.state.accounts
    return accounts


def client_address(request: Request) -> str:
    """The caller's network address, the key of per-address throttling."""
    return request.client.host if request.client else "unknown"


AccountsDep = Annotated[AccountService, Depends(get_accounts)]
AddressDep = Annotated[str, Depends(client_address)]
