"""Every Mocksy service as a real subprocess on free loopback ports, for end-to-end tests.

The processes are the console scripts ``make dev`` runs (``mocksy-auth``, ``mocksy-builder
serve``, ``mocksy-voice serve``, ``mocksy-voice worker start``, ``mocksy-scoring serve``,
``mocksy-history``), pointed at the real servers. Each run gets its own databases, consumer
groups, Kafka topics (``MOCKSY_TOPIC_PREFIX``) and interviewer agent name, so it shares the
stack with other tests without seeing their data or events, or taking their jobs.

Ask for the ``mocksy_services`` fixture by name: ``conftest.py`` registers it, so every test
of a session shares one set (importing it into a test module would start a second set). For a
set of your own, with extra settings, use ``running_services``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import MongoClient

from common.events import EventEnvelope, FeedbackReady, InterviewCreated, SessionCompleted
from tests.integration.servers import Servers

BIN = Path(sys.executable).parent
READY_WITHIN_S = 240.0
# Printed by livekit-agents once the LiveKit server accepted the worker: dispatches before that
# are dropped, so the worker counts as ready only from here.
WORKER_REGISTERED = "registered worker"
EVENTS: tuple[type[EventEnvelope], ...] = (InterviewCreated, SessionCompleted, FeedbackReady)
# Their own service names give these services consumer groups of their own.
CONSUMING = {"voice-agent", "scoring", "history"}


@dataclass(frozen=True)
class ServiceProcess:
    """One service's command line, its environment prefix and how to tell it is ready."""

    name: str
    command: tuple[str, ...]
    prefix: str  # MOCKSY_<SERVICE>_ settings prefix
    http: bool = True


PROCESSES = (
    ServiceProcess("auth", ("mocksy-auth",), "MOCKSY_AUTH_"),
    ServiceProcess("interview-builder", ("mocksy-builder", "serve"), "MOCKSY_BUILDER_"),
    ServiceProcess("voice-agent", ("mocksy-voice", "serve"), "MOCKSY_VOICE_"),
    ServiceProcess(
        "voice-worker", ("mocksy-voice", "worker", "start"), "MOCKSY_VOICE_", http=False
    ),
    ServiceProcess("scoring", ("mocksy-scoring", "serve"), "MOCKSY_SCORING_"),
    ServiceProcess("history", ("mocksy-history",), "MOCKSY_HISTORY_"),
)


@dataclass(frozen=True)
class MocksyServices:
    """Where the running services answer, and their logs."""

    auth_url: str
    builder_url: str
    voice_url: str
    scoring_url: str
    history_url: str
    livekit_url: str
    run_id: str
    logs: Path
    topic_prefix: str
    databases: tuple[str, ...] = field(default=())

    def topic(self, event_type: type[EventEnvelope]) -> str:
        """The Kafka topic these services use for ``event_type``: theirs alone."""
        return self.topic_prefix + event_type.topic

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of each HTTP service by name."""
        return {
            "auth": self.auth_url,
            "interview-builder": self.builder_url,
            "voice-agent": self.voice_url,
            "scoring": self.scoring_url,
            "history": self.history_url,
        }

    def client_env(self) -> dict[str, str]:
        """The variables that point ``mocksy practice`` (and other clients) at these services."""
        return {
            "MOCKSY_AUTH_URL": self.auth_url,
            "MOCKSY_BUILDER_URL": self.builder_url,
            "MOCKSY_VOICE_URL": self.voice_url,
            "MOCKSY_SCORING_URL": self.scoring_url,
            "MOCKSY_HISTORY_URL": self.history_url,
        }

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The last ``lines`` lines of one service's log."""
        path = self.logs / f"{name}.log"
        if not path.exists():
            return f"(no log for {name})"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_tails(self, lines: int = 40) -> str:
        """The last lines of every service's log, each under its name."""
        return "\n".join(
            f"----- {p.name} (last {lines} lines) -----\n{self.log_tail(p.name, lines)}"
            for p in PROCESSES
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def topic_prefix(run_id: str) -> str:
    """The prefix of the topics of one run."""
    return f"it.{run_id}."


def service_environment(
    servers: Servers, run_id: str, ports: dict[str, int]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The processes' environment: the stack's addresses plus per-run names; and the databases."""
    env = dict(os.environ)
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
            "MONGODB_URI": servers.mongodb_uri,
            "KEYCLOAK_URL": servers.keycloak_url,
            "KEYCLOAK_REALM": servers.keycloak_realm,
            "LIVEKIT_URL": servers.livekit_url,
            "LIVEKIT_API_KEY": servers.livekit_api_key,
            "LIVEKIT_API_SECRET": servers.livekit_api_secret,
            "MOCKSY_AUTH_CLIENT_ID": servers.auth_client_id,
            "MOCKSY_AUTH_CLIENT_SECRET": servers.auth_client_secret,
            "MOCKSY_LOG_JSON": "false",
            # Topics of this run's own: other tests' events never queue ahead of its events,
            # and its scoring never re-scores theirs.
            "MOCKSY_TOPIC_PREFIX": topic_prefix(run_id),
            "PYTHONUNBUFFERED": "1",
        }
    )
    databases = []
    for process in PROCESSES:
        if not process.http:
            continue
        env[f"{process.prefix}HTTP_PORT"] = str(ports[process.name])
        if process.name in CONSUMING or process.name == "interview-builder":
            env[f"{process.prefix}SERVICE_NAME"] = f"{process.name}-{run_id}"
            database = f"it_{run_id}_{process.name.replace('-', '_')}"
            env[f"{process.prefix}DATABASE"] = database
            databases.append(database)
    env.update(
        {
            # Only this run's worker takes this run's sessions.
            "MOCKSY_VOICE_AGENT_NAME": f"mocksy-interviewer-{run_id}",
            "MOCKSY_VOICE_WORKER_HTTP_PORT": str(ports["voice-worker"]),
            "MOCKSY_VOICE_WORKER_METRICS_PORT": str(ports["voice-worker-metrics"]),
            # A stopped test worker need not let an interview run on for 45 minutes.
            "MOCKSY_VOICE_DRAIN_TIMEOUT_S": "5",
        }
    )
    return env, tuple(databases)


async def _create_topics(bootstrap: str, topics: list[str]) -> None:
    # Created up front: a consumer subscribed to a topic that does not exist yet may not see it
    # until its next metadata refresh, minutes later.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=1, replication_factor=1) for topic in topics]
        )
    finally:
        await admin.close()


async def _delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        ours = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


class _Processes:
    """The started subprocesses; each in its own process group, stopped by its id."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, process: ServiceProcess, env: dict[str, str]) -> None:
        log = (self.logs / f"{process.name}.log").open("wb")
        command = [str(BIN / process.command[0]), *process.command[1:]]
        self.running[process.name] = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # the worker's job processes stop with it
        )
        log.close()

    def exited(self) -> dict[str, int]:
        return {name: code for name, p in self.running.items() if (code := p.poll()) is not None}

    def stop(self, within_s: float = 20.0) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + within_s
        for process in self.running.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_ready(services: MocksyServices, processes: _Processes) -> dict[str, float]:
    started = time.monotonic()
    ready: dict[str, float] = {}
    pending = {p.name for p in PROCESSES}
    with httpx.Client(timeout=2.0) as http:
        while pending:
            if time.monotonic() - started > READY_WITHIN_S:
                raise RuntimeError(
                    f"not ready after {READY_WITHIN_S:.0f} s: {sorted(pending)}\n"
                    + services.log_tails()
                )
            if exited := processes.exited():
                raise RuntimeError(f"a service exited early {exited}\n" + services.log_tails())
            for name in sorted(pending):
                if name in services.urls:
                    with contextlib.suppress(httpx.HTTPError):
                        if http.get(services.urls[name] + "/readyz").status_code == 200:
                            ready[name] = time.monotonic() - started
                elif WORKER_REGISTERED in services.log_tail(name, 400):
                    ready[name] = time.monotonic() - started
            pending -= set(ready)
            time.sleep(0.5)
    return ready


def _drop_databases(mongodb_uri: str, databases: tuple[str, ...]) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(mongodb_uri, serverSelectionTimeoutMS=5000)
    try:
        for database in databases:
            with contextlib.suppress(Exception):  # best effort: leftovers only cost disk
                client.drop_database(database)
    finally:
        client.close()


@contextlib.contextmanager
def running_services(
    servers: Servers, logs: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[MocksyServices]:
    """Start every service against ``servers``, wait until all are ready, stop them after.

    ``extra_env`` is added to every process's environment (say, allowed web origins).
    """
    run_id = uuid.uuid4().hex[:8]
    names = [p.name for p in PROCESSES if p.http] + ["voice-worker", "voice-worker-metrics"]
    ports = {name: free_port() for name in names}
    env, databases = service_environment(servers, run_id, ports)
    env.update(extra_env or {})
    prefix = topic_prefix(run_id)
    asyncio.run(_create_topics(servers.kafka_bootstrap_servers, [prefix + e.topic for e in EVENTS]))
    logs.mkdir(parents=True, exist_ok=True)

    def url(name: str) -> str:
        return f"http://127.0.0.1:{ports[name]}"

    services = MocksyServices(
        auth_url=url("auth"),
        builder_url=url("interview-builder"),
        voice_url=url("voice-agent"),
        scoring_url=url("scoring"),
        history_url=url("history"),
        livekit_url=servers.livekit_url,
        run_id=run_id,
        logs=logs,
        topic_prefix=prefix,
        databases=databases,
    )
    processes = _Processes(logs)
    try:
        for process in PROCESSES:
            processes.start(process, env)
        ready = _wait_until_ready(services, processes)
        print(
            f"\nMocksy services (run {run_id}) ready after: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(ready.items()))
            + f"; logs in {logs}"
        )
        yield services
    finally:
        processes.stop()
        _drop_databases(servers.mongodb_uri, databases)
        with contextlib.suppress(Exception):  # best effort, like the databases
            asyncio.run(_delete_topics(servers.kafka_bootstrap_servers, prefix))


@pytest.fixture(scope="session")
def mocksy_services(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MocksyServices]:
    """Every Mocksy service running as a subprocess on free ports, for the whole test session."""
    try:
        context = running_services(servers, tmp_path_factory.mktemp("mocksy-services"))
        services = context.__enter__()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield services
    finally:
        context.__exit__(None, None, None)
