"""``mocksy-history``: serve the history API and run its consumers in one process."""

from __future__ import annotations

from common.serving import serve
from history.app import create_app
from history.settings import HistorySettings


def main() -> None:
    """Serve on MOCKSY_HISTORY_HTTP_HOST:PORT (default 127.0.0.1:8005) and consume events."""
    settings = HistorySettings()
    serve(create_app(settings), settings)
