"""HTTP routes of the auth service."""
