"""The resilience suite reuses the integration suite's real servers.

``fleet`` and ``pair`` are module-scoped (one event loop per module: mark the module with
``pytest.mark.asyncio(loop_scope="module")``): the five apps and two Keycloak users are set up
once for a module's tests, well within the realm's five-minute token lifetime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.integration.accounts import Candidate, new_candidate, realm_admin
from tests.integration.conftest import servers
from tests.integration.servers import Servers
from tests.resilience.fleet import Fleet, running_fleet

__all__ = ["fleet", "pair", "servers"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet(servers: Servers) -> AsyncIterator[Fleet]:
    """The five services in this process against the real servers."""
    async with running_fleet(servers) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(servers: Servers) -> AsyncIterator[tuple[Candidate, Candidate]]:
    """Two real Keycloak users, A and B, with access tokens; deleted afterwards."""
    admin = realm_admin(servers)
    a = await new_candidate(servers, admin, "owner")
    b = await new_candidate(servers, admin, "intruder")
    try:
        yield a, b
    finally:
        for candidate in (a, b):
            await admin.a_delete_user(candidate.user_id)
