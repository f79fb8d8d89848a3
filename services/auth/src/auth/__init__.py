"""Mocksy accounts: a thin, rate-limited facade over Keycloak."""
