"""Mocksy's three LLM paths against a real OpenAI-compatible server, and against broken ones.

The real server is the local stack's llama-cpp-python with SmolLM2-135M: a tiny model whose
answers prove the wiring, the schemas and the fallbacks, not quality. Each path must give a
valid result through it, and fall back to its offline path, saying why, when the server
answers garbage or never answers. (The server being stopped: ``test_llm_outage.py``.)
"""

from __future__ import annotations

import logging
import time

import pytest

from common.events import CATEGORIES
from scoring.judge import LLM_ENGINE
from tests.integration.llm_faults import Fault, faulty_llm
from tests.integration.llm_paths import (
    FOLLOW_UP,
    judge_session,
    prime_setup_prompt,
    read_setup_message,
    sample_session,
    word_follow_up,
)
from tests.integration.servers import LLMServer

pytestmark = pytest.mark.integration

# Generous: these tests prove what comes back, not how fast (bench/llm_latency.py measures
# that); a loaded 2-core machine can take a minute or more per answer. The builder's setting
# allows at most 60 s.
BUILDER_TIMEOUT_S = 60.0
FOLLOW_UP_TIMEOUT_S = 120.0
JUDGE_TIMEOUT_S = 600.0
# What the rule parser reads in the setup message without any LLM.
RULE_PARSER_SLOTS = {
    "role": "backend",
    "interview_type": "technical",
    "level": "senior",
    "tech_stack": ["python", "redis"],
}
EXPECTED_REASON = {"garbage": "invalid_json", "silent": "timeout"}
# Why the scorer may still refuse a judgement that matched the schema: its quotes.
EVIDENCE_REASONS = {"no_evidence", "invented_evidence"}


async def test_the_builder_reads_a_setup_message_through_the_real_llm(
    llm_server: LLMServer,
) -> None:
    # The first request after the server starts evaluates the builder's ~1,240-token tool prompt
    # (schema and vocabulary) from scratch: 2-5 s on a quiet machine, 40-90 s on a loaded one,
    # past the builder's 60 s cap. Later messages reuse it from the server's prompt cache, as
    # in a running service; this primes it without the cap.
    await prime_setup_prompt(llm_server.base_url, llm_server.model)
    started = time.perf_counter()
    reading = await read_setup_message(
        llm_server.base_url, llm_server.model, timeout_s=BUILDER_TIMEOUT_S
    )
    print(f"LLM slots in {time.perf_counter() - started:.1f}s: {reading.slots}")

    assert reading.status == 201
    # The LLM's function call validated against SlotUpdate: nothing fell back.
    assert reading.fallback_reasons == []


async def test_the_interviewer_words_a_follow_up_through_the_real_llm(
    llm_server: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="voice_agent.worker.phrasing")
    started = time.perf_counter()
    wording = await word_follow_up(
        llm_server.base_url, llm_server.model, timeout_s=FOLLOW_UP_TIMEOUT_S
    )
    print(f"policy: {wording.policy_line!r}")
    print(f"LLM in {time.perf_counter() - started:.1f}s: {wording.spoken!r}")

    logged = [r.getMessage() for r in caplog.records if r.name == "voice_agent.worker.phrasing"]
    # The server answered (the call itself did not fail)...
    assert not any("rewording failed" in line for line in logged)
    if logged:
        # ...but the tiny model's line (it samples, so it varies) was not one short question:
        # the policy's own line is spoken, and the refusal is logged with the model's text.
        assert wording.spoken == wording.policy_line
        assert any("cannot be spoken as one" in line for line in logged)
    else:
        # ...and its line is spoken (it may echo the plain line it was shown).
        assert "?" in wording.spoken
        assert len(wording.spoken) <= 300


async def test_the_scoring_judge_answers_in_its_schema_through_the_real_llm(
    llm_server: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.perf_counter()
    judged = await judge_session(llm_server.base_url, llm_server.model, timeout_s=JUDGE_TIMEOUT_S)
    feedback = judged.feedback
    print(f"judge in {time.perf_counter() - started:.1f}s: engine {feedback.scorer.engine}")
    print(f"fallbacks {judged.fallback_reasons}, warnings {feedback.warnings}")

    assert feedback.gradable
    assert feedback.session_id == sample_session().session_id
    assert set(feedback.categories) == set(CATEGORIES)
    if feedback.scorer.engine == LLM_ENGINE:
        assert judged.fallback_reasons == []
    else:
        # The answer validated against the judge's schema (no timeout, HTTP, JSON or schema
        # failure); only its quotes were refused, and the feedback and the log say so.
        assert feedback.scorer.engine == "offline-rubric"
        assert len(judged.fallback_reasons) == 1
        assert judged.fallback_reasons[0] in EVIDENCE_REASONS
        assert any("LLM judge could not be used" in w for w in feedback.warnings)
        assert f"LLM judge failed ({judged.fallback_reasons[0]})" in caplog.text


@pytest.mark.parametrize("fault", ["garbage", "silent"])
async def test_the_builder_falls_back_to_the_rule_parser_when_the_llm_misbehaves(
    fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    with faulty_llm(fault) as base_url:
        reading = await read_setup_message(base_url, "smollm2", timeout_s=1.0)

    assert reading.status == 201
    assert {name: reading.slots[name] for name in RULE_PARSER_SLOTS} == RULE_PARSER_SLOTS
    assert reading.fallback_reasons == [EXPECTED_REASON[fault]]
    assert f"LLM slot extraction failed ({EXPECTED_REASON[fault]})" in caplog.text


@pytest.mark.parametrize("fault", ["garbage", "silent"])
async def test_the_interviewer_keeps_the_policy_line_when_the_llm_misbehaves(
    fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="voice_agent.worker.phrasing")
    with faulty_llm(fault) as base_url:
        # The worker's own time budget for a spoken follow-up bounds the silent server.
        wording = await word_follow_up(base_url, "smollm2", timeout_s=None)

    assert wording.spoken == wording.policy_line
    assert FOLLOW_UP.key_point is not None
    assert "using the policy's line" in caplog.text


@pytest.mark.parametrize("fault", ["garbage", "silent"])
async def test_scoring_falls_back_to_the_rubric_when_the_llm_misbehaves(
    fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    with faulty_llm(fault) as base_url:
        judged = await judge_session(base_url, "smollm2", timeout_s=1.0)

    assert judged.feedback.gradable
    assert judged.feedback.scorer.engine == "offline-rubric"
    assert judged.fallback_reasons == [EXPECTED_REASON[fault]]
    assert any("LLM judge could not be used" in w for w in judged.feedback.warnings)
    assert f"LLM judge failed ({EXPECTED_REASON[fault]})" in caplog.text
