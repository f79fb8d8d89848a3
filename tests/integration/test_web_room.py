"""The interview room's hard cases in a real (headless) Chromium, against every service as its
own process and the real servers (web/e2e/room.spec.ts).

- A second tab of the browser is signed in already; signing out in one signs out both; signing
  in again on Keycloak's login page brings back the same account and its interview.
- The network goes away mid-answer (Playwright takes the browser context offline): the room
  shows "Reconnecting…", then "The connection dropped" with Resume; back online, Resume brings
  the interviewer back to the unanswered question, the interview finishes, and the session's
  transcript is one record in order.
- "End interview now" (by keyboard, with a confirmation) while an answer pauses mid-sentence:
  the session ends early, those words are stored as that question's answer, and the feedback
  covers the questions answered.

Screenshots of each state land in .artifacts/web-room/.
"""

from __future__ import annotations

from tests.integration.mocksy_services import MocksyServices
from tests.integration.web_app import ROOT, run_playwright

ARTIFACTS = ROOT / ".artifacts" / "web-room"
ROOM_TIMEOUT_S = 40 * 60


def test_the_room_survives_a_drop_ends_early_on_request_and_shares_one_sign_in(
    web_app: str,
    mocksy_services: MocksyServices,
) -> None:
    run = run_playwright("e2e/room.spec.ts", web_app, ARTIFACTS, timeout_s=ROOM_TIMEOUT_S)

    assert run.returncode == 0, (
        f"the Playwright room tests failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}\n"
        f"{mocksy_services.log_tails(25)}"
    )
    shots = {p.name for p in ARTIFACTS.glob("*.png")}
    for state in ("second-tab-signed-in", "dropped", "resumed", "signed-in-again", "end-confirm"):
        assert any(state in name for name in shots), (state, sorted(shots))
