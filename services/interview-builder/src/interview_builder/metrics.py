"""Metrics of the interview-builder beyond the HTTP ones every service has."""

from __future__ import annotations

from prometheus_client import Counter

from common.observability import ServiceMetrics


class BuilderMetrics(ServiceMetrics):
    """HTTP metrics plus setup, interview and LLM fallback counters."""

    def __init__(self) -> None:
        super().__init__("interview-builder")
        self.llm_fallbacks = Counter(
            self.name("llm_fallbacks_total"),
            "LLM answers replaced by the offline path (rule parser, question bank), by task "
            "and reason.",
            ["task", "reason"],
            registry=self.registry,
        )
        self.interviews_created = Counter(
            self.name("interviews_created_total"),
            "Interviews created, by source.",
            ["source"],
            registry=self.registry,
        )
        self.setup_messages = Counter(
            self.name("setup_messages_total"),
            "Candidate messages handled by setup chats.",
            registry=self.registry,
        )
