"""The realm's password policy, checked before Keycloak so errors name the broken rule."""

from __future__ import annotations

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


def password_problem(password: str, email: str) -> str | None:
    """The first rule ``password`` breaks, or None.

    Mirrors the realm's policy ``length(10) and notUsername and notEmail`` (the username is the
    email), so a candidate learns what to fix without a round trip to Keycloak.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password must be at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    if lowered == email.lower() or lowered == email.split("@")[0].lower():
        return "password must not be your email address or username"
    return None
