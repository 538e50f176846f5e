"""Key press to next question drawn, measured inside the app (for simulate and benchmarks)."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class LatencyMeter:
    """A bounded window of samples, so a long day at the kiosk does not grow memory.

    The samples are a ring of C doubles (8 bytes each, 160 KiB for the default window),
    not a deque of float objects (four times that), as the kiosk keeps it all day.
    """

    def __init__(self, window: int = 20_000) -> None:
        self._window = window
        self._samples = array("d")
        self._next = 0  # where the next sample goes once the ring is full

    def record(self, seconds: float) -> None:
        if len(self._samples) < self._window:
            self._samples.append(seconds)
        else:
            self._samples[self._next] = seconds
        self._next = (self._next + 1) % self._window

    def clear(self) -> None:
        self._samples = array("d")
        self._next = 0

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
