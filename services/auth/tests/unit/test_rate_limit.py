"""Sliding-window throttling."""

from __future__ import annotations

import pytest

from auth.domain.rate_limit import Limit, SlidingWindowLimiter, Throttled


def test_allows_up_to_the_limit_then_says_when_to_retry() -> None:
    limiter = SlidingWindowLimiter(Limit(attempts=3, window_s=60))
    for second in (0.0, 10.0, 20.0):
        limiter.hit("1.2.3.4", second, "address")
    with pytest.raises(Throttled) as throttled:
        limiter.hit("1.2.3.4", 30.0, "address")
    assert throttled.value.retry_after_s == 30
    assert "address" in str(throttled.value)


def test_the_window_slides() -> None:
    limiter = SlidingWindowLimiter(Limit(attempts=2, window_s=60))
    limiter.hit("k", 0.0, "account")
    limiter.hit("k", 30.0, "account")
    limiter.hit("k", 60.5, "account")  # the first attempt has left the window
    with pytest.raises(Throttled):
        limiter.hit("k", 61.0, "account")


def test_keys_are_independent_and_idle_keys_are_forgotten() -> None:
    limiter = SlidingWindowLimiter(Limit(attempts=1, window_s=10), max_keys=5)
    for n in range(20):
        limiter.hit(f"addr-{n}", float(n * 20), "address")
    assert len(limiter._attempts) <= 6
