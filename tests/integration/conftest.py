"""Fixtures that hand integration tests the real servers (see ``servers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration.mocksy_services import mocksy_services  # noqa: F401  (shared fixture)
from tests.integration.servers import (
    LLM_VARIABLES,
    LLMServer,
    Servers,
    docker_answers,
    from_containers,
    from_environment,
    unavailable,
)
from tests.integration.web_app import web_app  # noqa: F401  (shared fixture)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/integration talks to real servers.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The real Kafka, MongoDB-compatible server, Keycloak and LiveKit server."""
    found = from_environment()
    if found is not None:
        yield found
        return
    if not docker_answers():
        unavailable(
            "the local stack's variables are not set (run `deploy/local/stack up` and "
            "`source .stack/env`, or `make test`) and no Docker engine answers"
        )
    with ExitStack() as stack:
        yield from_containers(stack)


@pytest.fixture(scope="session")
def llm_server(servers: Servers) -> LLMServer:
    """The real OpenAI-compatible LLM server of the local stack."""
    if servers.llm is None:
        unavailable(
            f"{' and '.join(LLM_VARIABLES)} are not set: the LLM server runs only in the "
            "local stack (`deploy/local/stack up llm`, then `source .stack/env`)"
        )
    assert servers.llm is not None
    return servers.llm
