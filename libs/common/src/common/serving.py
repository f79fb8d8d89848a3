"""Running a service's HTTP app the same way everywhere."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from common.observability import configure_logging
from common.settings import BaseServiceSettings


def serve(app: FastAPI, settings: BaseServiceSettings) -> None:
    """Serve ``app`` on the settings' host and port with Mocksy's logging until interrupted.

    Args:
        app: The application from the service's ``create_app``.
        settings: Its settings; ``http_host``/``http_port`` and the log options are used.
    """
    configure_logging(settings.service_name, level=settings.log_level, json_logs=settings.log_json)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep the handlers configure_logging installed
        access_log=False,  # request metrics and logs come from RequestContextMiddleware
        proxy_headers=False,
    )
