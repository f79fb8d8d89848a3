"""Where the real servers for integration tests come from.

1. The local stack (``deploy/local/stack up`` writes ``.stack/env``; ``make test`` sources it):
   the environment variables below are set and used as they are.
2. Otherwise, when a Docker engine answers, testcontainers starts the same servers.
3. Otherwise the integration tests are skipped with the reason — except under ``CI=true``,
   where a missing server fails the run instead of hiding it.

The OpenAI-compatible LLM server (llama-cpp-python with SmolLM2-135M) comes from the local
stack only (``MOCKSY_TEST_LLM_BASE_URL``, ``MOCKSY_TEST_LLM_MODEL``); it has no container.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
REALM_FILE = REPO / "deploy" / "keycloak" / "mocksy-realm.json"
REQUIRED = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "MONGODB_URI",
    "KEYCLOAK_URL",
    "LIVEKIT_URL",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
)


@dataclass(frozen=True)
class LLMServer:
    """An OpenAI-compatible chat completions server and the model name it answers to."""

    base_url: str  # ends in /v1
    model: str


LLM_VARIABLES = ("MOCKSY_TEST_LLM_BASE_URL", "MOCKSY_TEST_LLM_MODEL")


def llm_from_environment() -> LLMServer | None:
    """The LLM server named by the local stack's variables, or None when they are not set."""
    base_url, model = (os.environ.get(name) for name in LLM_VARIABLES)
    if not base_url or not model:
        return None
    return LLMServer(base_url=base_url, model=model)


@dataclass(frozen=True)
class Servers:
    """Addresses and credentials of the real servers the tests talk to."""

    kafka_bootstrap_servers: str
    mongodb_uri: str
    keycloak_url: str
    keycloak_realm: str
    keycloak_admin_username: str
    keycloak_admin_password: str
    auth_client_id: str
    auth_client_secret: str
    livekit_url: str
    livekit_api_key: str
    livekit_api_secret: str
    llm: LLMServer | None = None

    @property
    def keycloak_issuer(self) -> str:
        return f"{self.keycloak_url.rstrip('/')}/realms/{self.keycloak_realm}"


def _realm_client_secret(client_id: str) -> str:
    realm: dict[str, Any] = json.loads(REALM_FILE.read_text())
    for client in realm.get("clients", []):
        if client.get("clientId") == client_id:
            return str(client.get("secret", ""))
    return ""


def from_environment() -> Servers | None:
    """The servers named by the local stack's variables, or None when they are not set."""
    if any(not os.environ.get(name) for name in REQUIRED):
        return None
    env = os.environ
    auth_client = env.get("MOCKSY_AUTH_CLIENT_ID", "mocksy-auth")
    return Servers(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        mongodb_uri=env["MONGODB_URI"],
        keycloak_url=env["KEYCLOAK_URL"],
        keycloak_realm=env.get("KEYCLOAK_REALM", "mocksy"),
        keycloak_admin_username=env.get("KEYCLOAK_ADMIN_USERNAME", "admin"),
        keycloak_admin_password=env.get("KEYCLOAK_ADMIN_PASSWORD", "admin"),
        auth_client_id=auth_client,
        auth_client_secret=env.get("MOCKSY_AUTH_CLIENT_SECRET")
        or _realm_client_secret(auth_client),
        livekit_url=env["LIVEKIT_URL"],
        livekit_api_key=env["LIVEKIT_API_KEY"],
        livekit_api_secret=env["LIVEKIT_API_SECRET"],
        llm=llm_from_environment(),
    )


def docker_answers() -> bool:
    """True when a Docker engine is reachable from here."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # no engine, no socket, no permission: all mean "not available"
        return False
    return True


def from_containers(stack: ExitStack) -> Servers:
    """Start the four servers with testcontainers; they stop when ``stack`` closes."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.kafka import KafkaContainer
    from testcontainers.keycloak import KeycloakContainer
    from testcontainers.mongodb import MongoDbContainer

    kafka = stack.enter_context(KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft())
    mongo = stack.enter_context(MongoDbContainer("mongo:7"))
    keycloak = KeycloakContainer("quay.io/keycloak/keycloak:26.4").with_realm_import_file(
        str(REALM_FILE)
    )
    keycloak = stack.enter_context(keycloak)
    livekit = (
        DockerContainer("livekit/livekit-server:v1.9")
        .with_command("--dev --bind 0.0.0.0")
        .with_exposed_ports(7880)
    )
    livekit = stack.enter_context(livekit)
    wait_for_logs(livekit, "starting LiveKit server", timeout=60)
    auth_client = "mocksy-auth"
    return Servers(
        kafka_bootstrap_servers=kafka.get_bootstrap_server(),
        mongodb_uri=mongo.get_connection_url(),
        keycloak_url=keycloak.get_url(),
        keycloak_realm="mocksy",
        keycloak_admin_username=keycloak.username,
        keycloak_admin_password=keycloak.password,
        auth_client_id=auth_client,
        auth_client_secret=_realm_client_secret(auth_client),
        livekit_url=f"ws://{livekit.get_container_host_ip()}:{livekit.get_exposed_port(7880)}",
        livekit_api_key="devkey",
        livekit_api_secret="secret",
    )


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when running in CI, where nothing may be skipped silently."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"integration servers unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)
