"""The organiser PIN prompt; five wrong PINs lock it for 60 seconds (see PinGate).

Left alone, the prompt closes itself after the kiosk's idle time (``idle_timeout`` plus
``idle_grace``): a prompt opened in the middle of a visit and walked away from must not
keep that visit, behind a Cancel, from the kiosk's idle reset.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.app.screens.base import KioskModal
from kiosk.app.widgets.tap_button import NavButton, TapButton


class PinScreen(KioskModal):
    """Dismissed with True for the right PIN, False when cancelled (Escape)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.t("pin.title"), id="dialog-title")
            yield Static(self.t("pin.prompt"), classes="dialog-text")
            yield Input(password=True, max_length=32, id="pin-input")
            yield Static(self._lock_text(), id="pin-message", classes="error")
            yield NavButton(self.t("pin.cancel"), value="cancel", id="pin-cancel")

    def _lock_text(self) -> str:
        seconds = self.kiosk.pin_gate.locked_for()
        return self.t("pin.locked", seconds=seconds) if seconds else ""

    def on_mount(self) -> None:
        self.query_one("#pin-input", Input).focus()

    def idle_for(self, seconds: float) -> None:
        if seconds >= self.kiosk.idle_timeout + self.kiosk.idle_grace:
            self.dismiss(False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        result = self.kiosk.pin_gate.attempt(event.value)
        event.input.value = ""
        message = self.query_one("#pin-message", Static)
        if result.outcome == "ok":
            self.dismiss(True)
        elif result.outcome == "locked":
            message.update(self.t("pin.locked", seconds=result.seconds_left))
        else:
            message.update(self.t("pin.wrong", left=result.tries_left))

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss(False)

    def on_tap_button_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self.dismiss(False)
