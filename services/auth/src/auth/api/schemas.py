"""Request and response bodies of the auth API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from auth.domain.passwords import MAX_PASSWORD_LENGTH

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    ),
]
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
Token = Annotated[str, Field(min_length=1, max_length=8192)]


class RegisterRequest(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


class LoginRequest(BaseModel):
    """Email and password."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password


class RefreshRequest(BaseModel):
    """A refresh token to exchange or revoke."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: Token


class RegisteredAccount(BaseModel):
    """The account that was created."""

    user_id: str
    email: str


class Tokens(BaseModel):
    """Tokens for API calls (``access_token``) and for renewing them (``refresh_token``)."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_expires_in: int


class Me(BaseModel):
    """The signed-in user."""

    user_id: str
    email: str | None
    name: str | None
