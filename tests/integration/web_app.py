"""The web app for browser tests: a fresh build of web/ served on the realm's e2e origin, its APIs
proxied to this session's services, and Playwright run in Debian's Chromium against it.

``conftest.py`` registers ``web_app``, so the browser tests of a session share one build.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.fake_microphone import render_answer
from tests.integration.mocksy_services import MocksyServices
from tests.integration.servers import Servers, unavailable

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
# The realm lets this origin exchange codes for tokens (deploy/keycloak, mocksy-web webOrigins).
WEB_PORT = 5174


def chromium() -> str:
    """Debian's Chromium, or the one MOCKSY_CHROMIUM names."""
    found = os.environ.get("MOCKSY_CHROMIUM") or shutil.which("chromium")
    if not found:
        unavailable("Debian's chromium is not installed (scripts/bootstrap installs it as root)")
    assert found is not None
    return found


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="session")
def web_app(
    servers: Servers,
    mocksy_services: MocksyServices,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A fresh build of web/ served on 127.0.0.1:5174, its APIs proxied to this run's services."""
    if not (WEB / "node_modules" / ".bin" / "playwright").exists():
        unavailable("web/node_modules is missing (scripts/bootstrap runs npm ci in web/)")
    if not _port_is_free(WEB_PORT):
        pytest.fail(f"port {WEB_PORT} (the e2e web app's origin in the realm) is taken")
    dist = tmp_path_factory.mktemp("web-dist")
    # Built apart from web/dist so a `make dev` running beside the test keeps its own build.
    subprocess.run(
        ["npx", "vite", "build", "--outDir", str(dist), "--emptyOutDir", "--logLevel", "warn"],
        cwd=WEB,
        check=True,
        timeout=600,
    )
    env = {
        **os.environ,
        "MOCKSY_WEB_PORT": str(WEB_PORT),
        "MOCKSY_WEB_DIST": str(dist),
        "KEYCLOAK_URL": servers.keycloak_url,
        "KEYCLOAK_REALM": servers.keycloak_realm,
        "KEYCLOAK_WEB_CLIENT_ID": "mocksy-web",
        "MOCKSY_WEB_AUTH_API": mocksy_services.auth_url,
        "MOCKSY_WEB_BUILDER_API": mocksy_services.builder_url,
        "MOCKSY_WEB_VOICE_API": mocksy_services.voice_url,
        "MOCKSY_WEB_SCORING_API": mocksy_services.scoring_url,
        "MOCKSY_WEB_HISTORY_API": mocksy_services.history_url,
    }
    server = subprocess.Popen(["node", str(WEB / "serve.mjs")], cwd=WEB, env=env)
    url = f"http://127.0.0.1:{WEB_PORT}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/config.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("the web app's server did not start", pytrace=False)
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_playwright(
    spec: str, web_url: str, artifacts: Path, *, timeout_s: float
) -> subprocess.CompletedProcess[str]:
    """Run one spec of web/e2e in Chromium with the Piper answer as the fake microphone.

    Screenshots (and, on failure, traces) land in ``artifacts``, emptied of old ones first.
    """
    browser = chromium()
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("*.png"):
        old.unlink()
    wav = artifacts / "answer.wav"
    seconds = render_answer(wav)
    print(f"fake microphone: {wav} ({seconds:.1f} s loop)")
    started = time.monotonic()
    run = subprocess.run(
        ["npx", "playwright", "test", spec, "--reporter=list"],
        cwd=WEB,
        env={
            **os.environ,
            "MOCKSY_WEB_URL": web_url,
            "MOCKSY_CHROMIUM": browser,
            "MOCKSY_E2E_WAV": str(wav),
            "MOCKSY_E2E_ARTIFACTS": str(artifacts),
        },
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    print(run.stdout[-6000:])
    print(f"{spec} took {time.monotonic() - started:.0f} s of browser time")
    return run
