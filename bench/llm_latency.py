"""Per-request latency of Mocksy's three LLM paths on the local stack's LLM server.

Needs the stack's `llm` server (`deploy/local/stack up llm && source .stack/env`). Runs each
path the way its service does (the builder's slot extractor, the interviewer's follow-up
re-wording, the scoring judge), prints p50/p95 wall time per request and what came back
(valid, or the reason it would have fallen back).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from common.events import Question, Transcript
from interview_builder.llm import ChatCompletions, LLMCallError, OpenAISlotExtractor
from scoring.app import build_judge
from scoring.judge import JudgeFailed
from scoring.settings import ScoringSettings
from voice_agent.domain import FollowUpReason, FollowUpRequest, RuleBasedPhraser
from voice_agent.worker.providers import follow_up_rewriter
from voice_agent.worker.settings import InterviewerSettings

SESSION = Path(__file__).resolve().parents[1] / "services/scoring/tests/fixtures/mixed_session.json"
MESSAGES = [
    "I'm a senior backend engineer, give me a technical interview on python and redis",
    "frontend please, junior level, react and typescript",
    "let's do a mixed interview with 6 questions",
    "yes, that looks right",
]
SLOT_RUNS, FOLLOW_UP_RUNS, JUDGE_RUNS = 6, 6, 2
# A budget far above any answer, so the figures show the server, not a timeout.
MEASURE_TIMEOUT_S = 300.0
QUESTION = Question(
    question_id="q-index",
    text="How does a database index speed up queries, and when would you not add one?",
    kind="technical",
    topic="database indexing",
    key_points=["Explains the cost of indexes on writes and storage"],
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(
    name: str, runs: int, once: Callable[[int], Awaitable[str]], *, budget_ms: float | None = None
) -> None:
    seconds: list[float] = []
    outcomes: Counter[str] = Counter()
    for run in range(runs):
        started = time.perf_counter()
        outcomes[await once(run)] += 1
        seconds.append(time.perf_counter() - started)
    ms = [s * 1000 for s in seconds]
    line = (
        f"{name:<22} n={runs:<3} p50 {statistics.median(ms):7.0f} ms   "
        f"p95 {percentile(ms, 0.95):7.0f} ms   {dict(outcomes)}"
    )
    if budget_ms is not None:
        within = sum(1 for m in ms if m <= budget_ms)
        line += f"   within the service's {budget_ms:.0f} ms budget: {within}/{runs}"
    print(line)


async def main() -> None:
    base_url = os.environ.get("MOCKSY_TEST_LLM_BASE_URL")
    model = os.environ.get("MOCKSY_TEST_LLM_MODEL")
    if not base_url or not model:
        print("llm_latency: skipped, needs the stack's LLM server (`source .stack/env`)")
        return
    print(f"LLM server {base_url} (model {model}), {os.cpu_count()} CPUs")

    client = httpx.Client()
    extractor = OpenAISlotExtractor(
        ChatCompletions(base_url, model, timeout=MEASURE_TIMEOUT_S, client=client)
    )

    async def slots(run: int) -> str:
        try:
            await asyncio.to_thread(extractor.parse, MESSAGES[run % len(MESSAGES)])
        except LLMCallError as error:
            return error.reason
        return "valid"

    await timed("builder slot extractor", SLOT_RUNS, slots, budget_ms=5_000)
    await asyncio.to_thread(client.close)

    rewriter = follow_up_rewriter(
        InterviewerSettings(
            livekit_api_key="devkey",
            livekit_api_secret="unused-by-this-bench",
            speech="openai",
            openai_stt_base_url=base_url,
            openai_tts_base_url=base_url,
            openai_llm_base_url=base_url,
            openai_llm_model=model,
        )
    )
    assert rewriter is not None
    budget_s, rewriter.timeout_s = rewriter.timeout_s, MEASURE_TIMEOUT_S

    async def follow_up(run: int) -> str:
        request = FollowUpRequest(
            question=QUESTION,
            reason=FollowUpReason.MISSED_KEY_POINT,
            key_point=QUESTION.key_points[0],
            prepared=None,
            answer_so_far="An index finds rows without reading the whole table.",
            number=1,
            variant=run,
        )
        line = RuleBasedPhraser().phrase(request)
        return "policy line kept" if await rewriter.reword(request, line) == line else "reworded"

    await timed("voice follow-up wording", FOLLOW_UP_RUNS, follow_up, budget_ms=budget_s * 1000)
    await rewriter.model.aclose()

    settings = ScoringSettings(
        judge="llm", llm_base_url=base_url, llm_model=model, llm_timeout_s=MEASURE_TIMEOUT_S
    )
    judge = build_judge(settings)
    assert judge is not None
    transcript = Transcript.model_validate_json(SESSION.read_text())

    async def judged(_: int) -> str:
        try:
            await judge.assess(transcript)
        except JudgeFailed as error:
            return error.reason
        return "schema-valid"

    await timed(
        "scoring judge", JUDGE_RUNS, judged, budget_ms=ScoringSettings().llm_timeout_s * 1000
    )
    await judge.aclose()


if __name__ == "__main__":
    asyncio.run(main())
