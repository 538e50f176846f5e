""" "Are you still there?": the idle prompt, answered by any input or timed out."""

from __future__ import annotations

import math
import time

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.app.screens.base import KioskModal
from kiosk.app.widgets.tap_button import NavButton, TapButton


class StillThereScreen(KioskModal):
    """Dismissed with True on any input, False after ``grace`` seconds without."""

    def __init__(self, grace: float) -> None:
        super().__init__()
        self.grace = grace
        #: The grace ran out while another screen (the PIN prompt) was on top of this one.
        self._expired = False
        self._opened = time.monotonic()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.t("idle.title"), id="dialog-title")
            yield Static(self.t("idle.text"), classes="dialog-text")
            yield Static(self._countdown_text(), id="countdown", classes="dialog-text")
            yield NavButton(self.t("idle.continue"), value=True, id="still-here")

    def _countdown_text(self) -> str:
        """Time left before the kiosk starts over: whole seconds in the last minute (never
        below 1 while shown), whole minutes before that (a long grace set by an organiser)."""
        left = max(1, math.ceil(self.grace - (time.monotonic() - self._opened)))
        if left > 60:
            return self.t("idle.countdown_minutes", minutes=math.ceil(left / 60))
        return self.t("idle.countdown", seconds=left)

    def _tick(self) -> None:
        for countdown in self.query("#countdown"):
            assert isinstance(countdown, Static)
            countdown.update(self._countdown_text())

    def on_mount(self) -> None:
        self._opened = time.monotonic()
        self.set_timer(self.grace, self._timed_out)
        self.set_interval(0.25, self._tick)
        # query, not query_one: a key at the very moment it opened may have closed it already
        for button in self.query("#still-here"):
            button.focus(scroll_visible=False)

    def _timed_out(self) -> None:
        # Only from the top: dismissing from under the PIN prompt would pop the prompt
        # (is_current is also true for a screen showing behind a modal one).
        if self.app.screen is self:
            self.dismiss(False)
        else:
            self._expired = True

    def on_screen_resume(self) -> None:
        """On top again after the grace ran out: the visitor is gone, reset now."""
        if self._expired:
            self.dismiss(False)

    def _stay(self) -> None:
        if self.is_current:
            self.dismiss(True)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self._stay()

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self._stay()

    def on_tap_button_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self._stay()
