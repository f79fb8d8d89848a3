"""Pure rules of the auth facade: throttling and password policy."""
