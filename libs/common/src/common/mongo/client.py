"""Client lifecycle: one `AsyncMongoClient` per process, created in the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

MongoClient = AsyncMongoClient[dict[str, Any]]

PING_TIMEOUT_SECONDS: Final = 2.0


def create_client(uri: str, app_name: str, *, server_selection_timeout: float = 5.0) -> MongoClient:
    """Create a client; it connects lazily, so this does no I/O.

    Args:
        uri: A `mongodb://` URI (MongoDB 7 or FerretDB).
        app_name: Shown in the server's logs and `currentOp`, e.g. "mocksy-history".
        server_selection_timeout: Seconds an operation waits for a reachable server before
            failing; kept short so that readiness checks and requests fail fast.
    """
    return AsyncMongoClient(
        uri,
        appname=app_name,
        # Datetimes come back as aware UTC values, matching what the services write.
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=int(server_selection_timeout * 1000),
    )


async def ping(client: MongoClient) -> bool:
    """Readiness check: True when the server answers `ping` within a couple of seconds.

    Args:
        client: The service's client.
    """
    try:
        # A probe must answer quickly even when server selection would wait longer.
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            await client.admin.command("ping")
    except (PyMongoError, TimeoutError) as exc:
        logger.warning("MongoDB ping failed: %s", exc)
        return False
    return True


async def close_client(client: MongoClient) -> None:
    """Close the client's connection pools; call it when the app shuts down.

    Args:
        client: The client to close.
    """
    await client.close()


@asynccontextmanager
async def open_client(
    uri: str, app_name: str, *, server_selection_timeout: float = 5.0
) -> AsyncIterator[MongoClient]:
    """A client that is closed when the block exits, for lifespans and scripts.

    Args:
        uri: A `mongodb://` URI.
        app_name: Shown in the server's logs.
        server_selection_timeout: As for `create_client`.
    """
    client = create_client(uri, app_name, server_selection_timeout=server_selection_timeout)
    try:
        yield client
    finally:
        await close_client(client)
