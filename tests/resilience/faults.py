"""What the fault tests share: the stack script that stops servers, service subprocesses, and
Kafka consumer groups placed at the end of a topic.

Fault tests stop and start servers with ``deploy/local/stack``. Before doing so they check that
the script's stack (``MOCKSY_STACK_STATE``) is the one the test's environment points at, so a
test run with a private stack's variables can never stop a stack somebody else is using.
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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata

from tests.integration.servers import REPO, Servers, unavailable

STACK_SCRIPT = REPO / "deploy" / "local" / "stack"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class LocalStack:
    """The servers of ``deploy/local/stack``, stopped and started one at a time."""

    script: Path = STACK_SCRIPT

    def down(self, server: str) -> None:
        """Stop one server (kafka, keycloak, livekit or ferretdb)."""
        self._run("down", server)

    def up(self, server: str) -> None:
        """Start one server and wait until it answers."""
        self._run("up", server)

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.script), *args], check=True, capture_output=True, timeout=300)


def stack_of(servers: Servers) -> LocalStack:
    """The stack script, once it is known to act on exactly these servers."""
    if not STACK_SCRIPT.exists():
        unavailable("fault tests need deploy/local/stack to stop and start servers")
    lines = subprocess.run(
        [str(STACK_SCRIPT), "env"], check=True, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
    )
    expected = {
        "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
        "MONGODB_URI": servers.mongodb_uri,
    }
    mismatched = {k: (exported.get(k), v) for k, v in expected.items() if exported.get(k) != v}
    if mismatched:
        pytest.fail(
            "refusing to stop servers: deploy/local/stack (MOCKSY_STACK_STATE="
            f"{os.environ.get('MOCKSY_STACK_STATE', '.stack')}) manages other servers than the "
            f"test's environment names: {mismatched}",
            pytrace=False,
        )
    return LocalStack()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stack_environment(servers: Servers) -> dict[str, str]:
    """This process's environment with the shared server variables of ``servers``."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
        "MONGODB_URI": servers.mongodb_uri,
        "KEYCLOAK_URL": servers.keycloak_url,
        "KEYCLOAK_REALM": servers.keycloak_realm,
        "MOCKSY_LOG_JSON": "false",
    }


@dataclass
class ServiceProcess:
    """A service's console script run as a child process, its output kept in a log file."""

    command: tuple[str, ...]
    env: Mapping[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start (or start again) the process, appending to its log."""
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / self.command[0]), *self.command[1:]],
            env=dict(self.env),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> int:
        """SIGKILL: no shutdown hook runs, nothing is flushed or committed. Returns the status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop it politely if it still runs, and close the log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()

    def output(self, last: int = 40) -> str:
        """The last lines it printed, for failure messages."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-last:])
        return ""


@contextlib.contextmanager
def running(service: ServiceProcess) -> Iterator[ServiceProcess]:
    """``service`` started, and stopped when the block exits."""
    service.start()
    try:
        yield service
    finally:
        service.stop()


async def pin_group_to_end(servers: Servers, topic: str, group_id: str) -> None:
    """Commit the current end of ``topic`` for ``group_id``, so the group reads only what is
    published from now on rather than everything other runs left on the topic."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        await consumer.commit({tp: OffsetAndMetadata(end, "") for tp, end in ends.items()})
    finally:
        await consumer.stop()


async def reader_at_end(servers: Servers, topic: str, group_id: str) -> AIOKafkaConsumer:
    """A started consumer in a group of its own that reads ``topic`` from its current end."""
    await pin_group_to_end(servers, topic, group_id)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    return consumer


async def eventually(
    condition: Callable[[], object], *, within: float, every: float = 0.2, what: str
) -> None:
    """Poll an async-or-plain ``condition`` until it is true; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:.0f}s", pytrace=False)
        await asyncio.sleep(every)
