"""``/auth``: register, login, refresh, logout and me."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from auth.api.deps import AccountsDep, AddressDep
from auth.api.schemas import (
    LoginRequest,
    Me,
    RefreshRequest,
    RegisteredAccount,
    RegisterRequest,
    Tokens,
)
from common.auth import CurrentUser

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    body: RegisterRequest, accounts: AccountsDep, address: AddressDep
) -> RegisteredAccount:
    """Create an account."""
    user_id = await accounts.register(body.email, body.password, body.display_name, address)
    return RegisteredAccount(user_id=user_id, email=body.email.lower())


@router.post("/login")
async def login(body: LoginRequest, accounts: AccountsDep, address: AddressDep) -> Tokens:
    """Sign in with email and password."""
    tokens = await accounts.login(body.email, body.password, address)
    return Tokens(**tokens.model_dump())


@router.post("/refresh")
async def refresh(body: RefreshRequest, accounts: AccountsDep) -> Tokens:
    """Exchange a refresh token for new tokens."""
    tokens = await accounts.refresh(body.refresh_token)
    return Tokens(**tokens.model_dump())


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, accounts: AccountsDep) -> None:
    """Sign out: the refresh token and its session stop working."""
    await accounts.logout(body.refresh_token)


@router.get("/me")
async def me(user: CurrentUser) -> Me:
    """Who the access token belongs to."""
    if not user.user_id:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "token has no subject")
    return Me(user_id=user.user_id, email=user.email, name=user.name)
