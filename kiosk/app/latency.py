"""Key press to next question drawn, measured inside the app (for simulate and benchmarks)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class LatencyMeter:
    """A bounded window of samples, so a long day at the kiosk does not grow memory."""

    def __init__(self, window: int = 20_000) -> None:
        self._samples: deque[float] = deque(maxlen=window)

    def record(self, seconds: float) -> None:
        self._samples.append(seconds)

    def clear(self) -> None:
        self._samples.clear()

    def __len__(self) -> int:
        return len(self._samples)

    def summary(self) -> LatencySummary:
        data = sorted(self._samples)
        if not data:
            return LatencySummary(0, 0.0, 0.0, 0.0)

        def pct(p: float) -> float:
            """Nearest-rank percentile: the smallest sample with p of all at or below it."""
            return data[max(0, math.ceil(p * len(data)) - 1)] * 1000

        return LatencySummary(len(data), pct(0.50), pct(0.99), data[-1] * 1000)
