"""The running app's settings are the kiosk's config (:class:`kiosk.config.KioskConfig`),
with its kiosk id settled; this module makes them for an app built in code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kiosk.config import KioskConfig

#: The kiosk id of an app made in code without one (tests, benchmarks).
TEST_KIOSK_ID = "kiosk-test"


def app_settings(**values: Any) -> KioskConfig:
    """Settings for an app made in code: a fixed kiosk id and no settle time unless given.

    ``kiosk run`` and ``kiosk simulate`` pass the config file's settings instead (a settle
    time of 0.3 s by default); here 0 moves on at once, as Pilot tests that type ahead expect.
    """
    return replace(KioskConfig(kiosk_id=TEST_KIOSK_ID, settle_seconds=0.0), **values)
