"""What the running app needs to know besides the surveys: one object, made by ``kiosk run``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppSettings:
    kiosk_id: str = "kiosk-test"
    lang: str | None = None
    theme: str = "default"
    idle_timeout: float = 90.0
    idle_grace: float = 15.0
    suspect_seconds: float = 3.0
    thanks_timeout: float = 15.0
    touch: bool = False
    #: Seconds a picked answer shows as chosen before the next question takes input (a
    #: double tap or a bouncing key must not answer it). ``kiosk run`` and ``kiosk
    #: simulate`` pass the config's (0.3 by default); 0 here moves on at once, as Pilot
    #: tests that type ahead expect.
    settle_seconds: float = 0.0
