"""Mocksy auth service: sign-up, sign-in, refresh, sign-out and me: a thin, rate-limited facade over Keycloak."""
