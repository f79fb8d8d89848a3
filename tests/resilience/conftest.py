"""The resilience suite reuses the integration suite's real servers."""

from tests.integration.conftest import servers

__all__ = ["servers"]
