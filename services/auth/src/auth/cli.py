"""``mocksy-auth``: serve the auth API."""

from __future__ import annotations

from auth.app import create_app
from auth.settings import AuthSettings
from common.serving import serve


def main() -> None:
    """Serve the auth API on MOCKSY_AUTH_HTTP_HOST:PORT (default 127.0.0.1:8001)."""
    settings = AuthSettings()
    serve(create_app(settings), settings)
