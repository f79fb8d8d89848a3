"""The local stack's LLM server stopped: every LLM path falls back to its offline path.

Stops the stack's ``llm`` server (``deploy/local/stack down llm``) for this module and starts it
again afterwards, whatever happens. Only the LLM server is touched: the other servers of a
shared stack keep running.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.llm_paths import judge_session, read_setup_message, word_follow_up
from tests.integration.servers import LLMServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STACK = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack"
RULE_PARSER_SLOTS = {
    "role": "backend",
    "interview_type": "technical",
    "level": "senior",
    "tech_stack": ["python", "redis"],
}


def stack(*args: str) -> None:
    done = subprocess.run(
        [str(STACK), *args], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"stack {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def stopped_llm(llm_server: LLMServer) -> Iterator[LLMServer]:
    """The LLM server's address while it is stopped."""
    stack("down", "llm")
    try:
        yield llm_server
    finally:
        stack("up", "llm")


async def test_the_builder_reads_setup_messages_with_the_rule_parser_while_the_llm_is_down(
    stopped_llm: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    reading = await read_setup_message(stopped_llm.base_url, stopped_llm.model, timeout_s=5.0)

    assert reading.status == 201
    assert {name: reading.slots[name] for name in RULE_PARSER_SLOTS} == RULE_PARSER_SLOTS
    assert reading.fallback_reasons == ["http_error"]
    assert "LLM slot extraction failed (http_error)" in caplog.text


async def test_the_interviewer_speaks_the_policy_line_while_the_llm_is_down(
    stopped_llm: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="voice_agent.worker.phrasing")
    wording = await word_follow_up(stopped_llm.base_url, stopped_llm.model, timeout_s=None)

    assert wording.spoken == wording.policy_line
    assert "follow-up rewording failed; using the policy's line" in caplog.text


async def test_scoring_uses_the_rubric_while_the_llm_is_down(
    stopped_llm: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    judged = await judge_session(stopped_llm.base_url, stopped_llm.model, timeout_s=5.0)

    assert judged.feedback.gradable
    assert judged.feedback.scorer.engine == "offline-rubric"
    assert judged.fallback_reasons == ["http_error"]
    assert any("its server returned an error" in w for w in judged.feedback.warnings)
    assert "LLM judge failed (http_error)" in caplog.text
