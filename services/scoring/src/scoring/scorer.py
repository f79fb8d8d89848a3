"""Which engine scores a session: the offline rubric, optionally with the LLM judge on top."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from common.events import Feedback, Transcript
from scoring.domain.rubric import RubricScorer
from scoring.judge import Judge, JudgeFailed, check_evidence, combine, offline_fallback
from scoring.settings import JudgeMode

logger = logging.getLogger("mocksy.scoring.judge")

OTHER: Final = "other"

# What a user reads in the warning when the judge was bypassed.
_REASONS: Final = {
    "timeout": "it did not answer in time",
    "http_error": "its server returned an error",
    "invalid_json": "it did not answer in JSON",
    "no_output": "its reply held no judgement",
    "schema_mismatch": "its answer did not match the feedback schema",
    "no_evidence": "it quoted nothing from the transcript",
    "invented_evidence": "its quotes do not occur in the transcript",
    OTHER: "an unexpected error",
}


class SessionScorer:
    """Scores with the rubric; in ``llm`` or ``blend`` mode asks the judge too and falls back to
    the rubric on any judge error."""

    def __init__(
        self,
        rubric: RubricScorer,
        *,
        mode: JudgeMode = "offline",
        judge: Judge | None = None,
        blend_weight: float = 0.5,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        if mode != "offline" and judge is None:
            raise ValueError(f"judge mode {mode!r} needs a judge")
        self._rubric = rubric
        self._mode = mode
        self._judge = judge
        self._blend_weight = blend_weight
        self._on_fallback = on_fallback

    async def score(self, transcript: Transcript) -> Feedback:
        """Feedback on one transcript; never raises because of the judge."""
        # The rubric is CPU work of milliseconds to tens of milliseconds; a thread keeps the
        # event loop (health checks, the API) answering meanwhile.
        offline = await asyncio.to_thread(self._rubric.score, transcript)
        if self._mode == "offline" or self._judge is None or not offline.gradable:
            # A transcript too thin to grade is never sent to the LLM.
            return offline
        try:
            output = await self._judge.assess(transcript)
            judgement = check_evidence(output, transcript)
            return combine(
                offline,
                judgement,
                transcript=transcript,
                how=self._mode,
                blend_weight=self._blend_weight,
                judge_version=self._judge.version,
            )
        except Exception as error:  # any judge failure means: the rubric's feedback
            reason = error.reason if isinstance(error, JudgeFailed) else OTHER
            logger.warning(
                "LLM judge failed (%s), using the offline rubric: %s",
                reason,
                error,
                extra={"session_id": transcript.session_id, "reason": reason},
            )
            if self._on_fallback is not None:
                self._on_fallback(reason)
            return offline_fallback(offline, _REASONS.get(reason, _REASONS[OTHER]))
