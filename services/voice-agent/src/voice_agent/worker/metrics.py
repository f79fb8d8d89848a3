"""The worker's own metrics: how fast the interviewer answers, and how many interviews it runs.

Jobs run in their own processes; the worker serves every process's samples on its Prometheus
port (``prometheus_client`` multiprocess mode, set up by LiveKit's ``AgentServer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Gauge, Histogram

from voice_agent.worker.timeline import STAGES

# The reply gap people notice starts around 0.5 s; an interviewer that waits 2 s feels slow.
LATENCY_BUCKETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0)


@dataclass(frozen=True)
class WorkerMetrics:
    """The response latency, the reply stage breakdown and the number of interviews."""

    response_latency: Histogram
    sessions: Gauge
    reply_stage: Histogram


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
        reply_stage=Histogram(
            "mocksy_voice_agent_reply_stage_seconds",
            "When each stage of a reply was reached, after the end of the candidate's speech: "
            + ", ".join(STAGES)
            + " (the last is the first audio frame played into the room).",
            ["stage"],
            buckets=LATENCY_BUCKETS,
        ),
    )
