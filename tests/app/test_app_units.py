"""Small parts of the app without a screen: the PIN gate's lock expiry, the latency window."""

from __future__ import annotations

from kiosk.app.latency import LatencyMeter
from kiosk.app.pin_gate import LOCK_SECONDS, MAX_TRIES, PinGate
from kiosk.config import PinCheck, hash_pin


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lock_opens_again_after_60_seconds_and_counts_afresh() -> None:
    clock = Clock()
    gate = PinGate(PinCheck(pin_hash=hash_pin("2468")), clock=clock)
    for left in range(MAX_TRIES - 1, 0, -1):
        assert gate.attempt("0000").tries_left == left
    locked = gate.attempt("0000")
    assert locked.outcome == "locked" and locked.seconds_left == 60
    clock.now += LOCK_SECONDS - 0.5
    assert gate.attempt("2468").outcome == "locked"
    assert gate.locked_for() == 1
    clock.now += 1
    assert gate.locked_for() == 0
    assert gate.attempt("0000").tries_left == MAX_TRIES - 1, "a fresh count after the lock"
    assert gate.attempt("2468").outcome == "ok"


def test_demo_gate_lets_anyone_in() -> None:
    gate = PinGate(PinCheck())
    assert gate.demo and gate.attempt("").outcome == "ok"


def test_latency_window_is_bounded_and_percentiles_are_right() -> None:
    meter = LatencyMeter(window=100)
    for ms in range(1, 201):  # only the last 100 (101..200 ms) are kept
        meter.record(ms / 1000)
    summary = meter.summary()
    assert summary.count == 100 == len(meter)
    assert round(summary.p50_ms) == 150
    assert round(summary.p99_ms) == 199
    assert round(summary.max_ms) == 200
    meter.clear()
    assert meter.summary().count == 0
