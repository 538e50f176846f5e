"""The organiser PIN prompt's rules: five wrong PINs lock it for a minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kiosk.config import PinCheck

MAX_TRIES = 5
LOCK_SECONDS = 60.0


@dataclass(frozen=True)
class PinResult:
    outcome: Literal["ok", "wrong", "locked"]
    tries_left: int = 0
    seconds_left: int = 0


class PinGate:
    """Checks PINs and counts failures; lives as long as the app, so reopening won't reset it."""

    def __init__(self, check: PinCheck, clock: Callable[[], float] = time.monotonic) -> None:
        self.check = check
        self.clock = clock
        self._failures = 0
        self._locked_until = 0.0

    @property
    def demo(self) -> bool:
        return self.check.demo

    def locked_for(self) -> int:
        """Whole seconds until the prompt opens again (0 when open)."""
        left = self._locked_until - self.clock()
        return max(0, int(left + 0.999))

    def attempt(self, pin: str) -> PinResult:
        seconds = self.locked_for()
        if seconds:
            return PinResult("locked", seconds_left=seconds)
        if self.check.matches(pin):
            self._failures = 0
            return PinResult("ok")
        self._failures += 1
        if self._failures >= MAX_TRIES:
            self._failures = 0
            self._locked_until = self.clock() + LOCK_SECONDS
            return PinResult("locked", seconds_left=int(LOCK_SECONDS))
        return PinResult("wrong", tries_left=MAX_TRIES - self._failures)
