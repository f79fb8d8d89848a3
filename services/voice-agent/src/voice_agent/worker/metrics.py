"""The worker's own metrics: how fast the interviewer answers, and how many interviews it runs.

Jobs run in their own processes; the worker serves every process's samples on its Prometheus
port (``prometheus_client`` multiprocess mode, set up by LiveKit's ``AgentServer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Gauge, Histogram

# The reply gap people notice starts around 0.5 s; an interviewer that waits 2 s feels slow.
LATENCY_BUCKETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0)


@dataclass(frozen=True)
class WorkerMetrics:
    """``mocksy_voice_agent_response_latency_seconds`` and ``..._worker_sessions``."""

    response_latency: Histogram
    sessions: Gauge


@cache
def worker_metrics() -> WorkerMetrics:
    """The process's worker metrics (registered once)."""
    return WorkerMetrics(
        response_latency=Histogram(
            "mocksy_voice_agent_response_latency_seconds",
            "From the end of the candidate's speech to the first audio of the interviewer's "
            "reply (turn-taking wait, recognition, conductor and synthesis together).",
            buckets=LATENCY_BUCKETS,
        ),
        sessions=Gauge(
            "mocksy_voice_agent_worker_sessions",
            "Interviews this worker is conducting right now.",
            multiprocess_mode="livesum",
        ),
    )
