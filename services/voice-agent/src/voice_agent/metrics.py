"""Prometheus metrics of the voice agent (``mocksy_voice_agent_*``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from common.observability import ServiceMetrics
from voice_agent.repository import LIVE_STATES, SessionState


class VoiceAgentMetrics(ServiceMetrics):
    """HTTP metrics plus sessions started, ended and live right now."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        super().__init__("voice-agent", registry)
        self.sessions_started = Counter(
            self.name("sessions_started_total"),
            "Voice sessions created through the API (a room, a dispatch and a token each).",
            registry=self.registry,
        )
        self.sessions_resumed = Counter(
            self.name("sessions_resumed_total"),
            "Resume requests that handed out a new join token.",
            registry=self.registry,
        )
        self.sessions_ended = Counter(
            self.name("sessions_ended_total"),
            "Sessions this process finished, by outcome (the sweeper's ended_early and failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.workers_lost = Counter(
            self.name("workers_lost_total"),
            "Active sessions marked interrupted because their worker stopped heartbeating.",
            registry=self.registry,
        )
        self.interviewers_redispatched = Counter(
            self.name("interviewers_redispatched_total"),
            "Interviewers dispatched again by the sweeper to a candidate left waiting in a room "
            "without one (LiveKit dropped the dispatch: no worker could take it then).",
            registry=self.registry,
        )
        # Counted in MongoDB by the sweeper, so every API replica reports the same cluster-wide
        # figure: aggregate with max(), not sum().
        self.active_sessions = Gauge(
            self.name("active_sessions"),
            "Sessions not yet ended, by state (created, active, interrupted), across all replicas.",
            ["state"],
            registry=self.registry,
        )

    def observe_live(self, counts: dict[SessionState, int]) -> None:
        """Publish the latest count of live sessions per state."""
        for state in LIVE_STATES:
            self.active_sessions.labels(state).set(counts.get(state, 0))
