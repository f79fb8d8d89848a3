"""Client lifecycle helpers, without a server."""

from __future__ import annotations

from common.mongo import create_client, open_client, ping


async def test_creating_a_client_does_no_io() -> None:
    client = create_client("mongodb://127.0.0.1:1/", "mocksy-tests")

    assert client.options.pool_options.metadata["application"] == {"name": "mocksy-tests"}
    assert client.codec_options.tz_aware is True
    await client.close()


async def test_ping_is_false_when_nothing_listens() -> None:
    async with open_client(
        "mongodb://127.0.0.1:1/", "mocksy-tests", server_selection_timeout=0.2
    ) as client:
        assert await ping(client) is False
