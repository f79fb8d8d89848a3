"""Sliding-window throttling of sign-in and sign-up attempts."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` within ``window_s`` seconds."""

    attempts: int
    window_s: float


class Throttled(Exception):
    """Too many attempts; ``retry_after_s`` says when the next one is allowed."""

    def __init__(self, scope: str, retry_after_s: int) -> None:
        super().__init__(f"too many attempts for this {scope}; retry in {retry_after_s} s")
        self.scope = scope
        self.retry_after_s = retry_after_s


class SlidingWindowLimiter:
    """Counts attempts per key in a sliding window; time is passed in, never read."""

    def __init__(self, limit: Limit, *, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._attempts: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float, scope: str) -> None:
        """Record an attempt for ``key`` at ``now``; raise ``Throttled`` when over the limit."""
        window = self._attempts.setdefault(key, deque())
        while window and window[0] <= now - self.limit.window_s:
            window.popleft()
        if len(window) >= self.limit.attempts:
            retry_after = window[0] + self.limit.window_s - now
            raise Throttled(scope, max(1, math.ceil(retry_after)))
        window.append(now)
        if len(self._attempts) > self.max_keys:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        # Bounded memory under a flood of distinct keys: drop keys whose window has emptied.
        for key in [
            k for k, w in self._attempts.items() if not w or w[-1] <= now - self.limit.window_s
        ]:
            del self._attempts[key]
