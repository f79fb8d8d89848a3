"""The web app end to end: a candidate in a real (headless) Chromium, speaking through a fake
microphone, against every service as its own process and the real servers.

Playwright (web/e2e/journey.spec.ts) drives Debian's Chromium: sign up on Keycloak's
registration page, set up an interview by chat, join the LiveKit room, answer the questions
with a Piper-voiced WAV looping as the microphone (the room's back-channel cue lights in the
answer's thinking pause, and the "mhm" is in the stored transcript), see the feedback, retake,
and see two points of progress. Screenshots of every screen land in .artifacts/web/.
"""

from __future__ import annotations

from tests.integration.mocksy_services import MocksyServices
from tests.integration.web_app import ROOT, run_playwright

ARTIFACTS = ROOT / ".artifacts" / "web"
JOURNEY_TIMEOUT_S = 40 * 60


def test_a_candidate_practises_in_the_browser_and_sees_progress(
    web_app: str,
    mocksy_services: MocksyServices,
) -> None:
    run = run_playwright("e2e/journey.spec.ts", web_app, ARTIFACTS, timeout_s=JOURNEY_TIMEOUT_S)

    assert run.returncode == 0, (
        f"the Playwright journey failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}\n"
        f"{mocksy_services.log_tails(25)}"
    )
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert any("progress" in name for name in shots), shots
    assert any("feedback" in name for name in shots), shots
