"""What the benchmarks share: publishing sessions at a pace while waiting for their outcome, and
the latency figures they print. Imported by the scripts next to it; not a benchmark itself.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from common.events import SessionCompleted
from common.messaging import EventPublisher, create_broker

T = TypeVar("T")


@dataclass
class Publication:
    """When each session was published; filled in while the publishing goes on."""

    at: dict[str, float] = field(default_factory=dict)  # perf_counter just before the publish
    wall: dict[str, float] = field(default_factory=dict)  # time.time() just before the publish
    started: float = 0.0  # perf_counter of the first publish
    took_s: float = 0.0  # from the first publish to the last one's acknowledgement


async def publish_and_wait(
    bootstrap: str,
    client: str,
    events: Sequence[SessionCompleted],
    *,
    rate: float,
    wait: Callable[[Publication], Coroutine[Any, Any, T]],
    within: float | None = None,
) -> tuple[Publication, T | None]:
    """Publish ``events`` (``rate`` a second; 0: all at once) while ``wait`` watches for their
    outcome; its result, or None when it did not finish ``within`` seconds.

    ``wait`` starts before the first publish and sees the ``Publication`` as it fills.
    """
    publication = Publication()
    broker = create_broker(bootstrap, service=client)
    async with broker:
        await broker.start()
        publisher = EventPublisher(broker)
        waiting = asyncio.create_task(wait(publication))
        publication.started = time.perf_counter()
        gap = 1.0 / rate if rate > 0 else 0.0
        for n, event in enumerate(events):
            if gap:
                await asyncio.sleep(max(0.0, publication.started + n * gap - time.perf_counter()))
            publication.at[event.data.session_id] = time.perf_counter()
            publication.wall[event.data.session_id] = time.time()
            await publisher.publish(event)
        publication.took_s = time.perf_counter() - publication.started
        try:
            return publication, await asyncio.wait_for(waiting, timeout=within)
        except TimeoutError:
            return publication, None


def percentile(ordered: Sequence[float], p: float) -> float:
    """The ``p`` (0..1) percentile of already sorted values, nearest rank."""
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


@dataclass(frozen=True)
class LatencyFigures:
    """Percentiles, maximum and mean of a set of latencies, in milliseconds."""

    count: int
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, values_ms: Sequence[float]) -> LatencyFigures:
        """The figures of ``values_ms`` (at least one value)."""
        ordered = sorted(values_ms)
        return cls(
            count=len(ordered),
            p50=percentile(ordered, 0.50),
            p90=percentile(ordered, 0.90),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            max=ordered[-1],
            mean=statistics.fmean(ordered),
        )

    def line(self, *names: str, width: int = 0) -> str:
        """``p50 12 ms  p95 30 ms ...`` for the named figures (p50, p90, p95, p99, max, mean),
        each number right-aligned to ``width`` with one decimal when ``width`` is given."""
        shown = names or ("p50", "p95", "p99", "max")
        number = f"{{:{width}.1f}}" if width else "{:.0f}"
        return "  ".join(f"{name} {number.format(getattr(self, name))} ms" for name in shown)
