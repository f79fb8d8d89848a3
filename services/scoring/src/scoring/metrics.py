"""Scoring's own metrics, in the service's registry next to the HTTP and consumer metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from common.observability import ServiceMetrics


class ScoringMetrics:
    """Feedback produced, how long scoring took, and why the LLM judge was bypassed."""

    def __init__(self, base: ServiceMetrics) -> None:
        self.base = base
        self.feedback = Counter(
            base.name("feedback_total"),
            "Feedback documents stored, by the engine that produced them and gradability.",
            ["engine", "gradable"],
            registry=base.registry,
        )
        self.scoring_seconds = Histogram(
            base.name("scoring_duration_seconds"),
            "Time to score one transcript (the LLM judge included), by the engine that won.",
            ["engine"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=base.registry,
        )
        self.judge_fallbacks = Counter(
            base.name("judge_fallbacks_total"),
            "Times the LLM judge failed and the offline rubric's feedback was used, by reason.",
            ["reason"],
            registry=base.registry,
        )
