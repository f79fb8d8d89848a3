"""Use cases: score a completed session once, and show a user the feedback on their session."""

from __future__ import annotations

import logging
import time

from common.events import FeedbackReady, SessionCompleted
from common.observability import session_id_var, user_id_var
from scoring.metrics import ScoringMetrics
from scoring.repository import FeedbackRepository, StoredFeedback
from scoring.scorer import SessionScorer

logger = logging.getLogger("mocksy.scoring")


class FeedbackNotFound(Exception):
    """No feedback the caller may see; the message says it may still be in progress."""


class ScoringService:
    """Turns ``SessionCompleted`` into stored feedback announced by ``FeedbackReady``."""

    def __init__(
        self,
        repository: FeedbackRepository,
        scorer: SessionScorer,
        metrics: ScoringMetrics | None = None,
    ) -> None:
        self._repository = repository
        self._scorer = scorer
        self._metrics = metrics

    async def session_completed(self, event: SessionCompleted) -> None:
        """Score the session and store the feedback with its announcement, once per session."""
        transcript = event.data
        tokens = (session_id_var.set(transcript.session_id), user_id_var.set(transcript.user_id))
        try:
            # Checked first so that a redelivered session costs no scoring (and no LLM call);
            # the insert below is what really guarantees one feedback per session.
            if await self._repository.has(transcript.session_id):
                logger.info("session already scored; nothing to do")
                return
            started = time.perf_counter()
            feedback = await self._scorer.score(transcript)
            elapsed = time.perf_counter() - started
            announcement = FeedbackReady(data=feedback, correlation_id=event.correlation_id)
            stored = await self._repository.add(feedback, transcript.interview, announcement)
            if not stored:
                logger.info("session scored concurrently elsewhere; this result is dropped")
                return
            logger.info(
                "feedback stored",
                extra={
                    "engine": feedback.scorer.engine,
                    "gradable": feedback.gradable,
                    "overall_score": feedback.overall_score,
                    "scoring_ms": round(elapsed * 1000, 1),
                },
            )
            if self._metrics is not None:
                engine = feedback.scorer.engine
                gradable = str(feedback.gradable).lower()
                self._metrics.feedback.labels(engine, gradable).inc()
                self._metrics.scoring_seconds.labels(engine).observe(elapsed)
        finally:
            user_id_var.reset(tokens[1])
            session_id_var.reset(tokens[0])

    async def feedback(self, user_id: str, session_id: str) -> StoredFeedback:
        """The feedback on one of the user's sessions."""
        found = await self._repository.owned(user_id, session_id)
        if found is None:
            # Someone else's session reads exactly like one that is not scored (yet).
            raise FeedbackNotFound(
                f"no feedback for session '{session_id}': it is not yours, does not exist, or "
                "is still being scored; scoring usually takes a few seconds after a session "
                "ends, so try again shortly"
            )
        return found
