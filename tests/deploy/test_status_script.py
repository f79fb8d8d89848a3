"""``make status`` lists each service ``make dev`` started: running or not, pid, URL, readiness."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of scripts/status in a directory of its own (the real .stack/ is left alone)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "status", tmp_path / "scripts" / "status")
    (tmp_path / ".stack").mkdir()
    return tmp_path


@pytest.fixture
def ready_service(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """A process answering 200 on /readyz: its pid and port."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "readyz").write_text("ok")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield server.pid, port
    finally:
        server.terminate()
        server.wait()


def status(checkout: Path) -> list[list[str]]:
    done = subprocess.run(
        [str(checkout / "scripts" / "status")], capture_output=True, text=True, check=True
    )
    return [line.split() for line in done.stdout.splitlines()]


def test_before_make_dev_it_says_nothing_was_started(checkout: Path) -> None:
    assert status(checkout) == [["services", "not", "started", "(make", "dev", "starts", "them)"]]


def test_each_service_shows_running_or_stopped_its_pid_url_and_readiness(
    checkout: Path, ready_service: tuple[int, int]
) -> None:
    pid, port = ready_service
    gone = subprocess.Popen(["true"])
    gone.wait()
    url = f"http://127.0.0.1:{port}"
    silent = f"http://127.0.0.1:{free_port()}"
    (checkout / ".stack" / "services").write_text(
        f"auth|{pid}|{url}|{url}/readyz\n"
        f"voice-worker|{pid}||{silent}/\n"
        f"history|{gone.pid}|{silent}|{silent}/readyz\n"
    )
    assert status(checkout) == [
        ["auth", "running", "pid", str(pid), url, "ready"],
        ["voice-worker", "running", "pid", str(pid), "(no", "API)", "not", "ready"],
        ["history", "stopped", "pid", str(gone.pid), silent, "-"],
    ]
