"""The organiser PIN prompt; five wrong PINs lock it for 60 seconds (see PinGate).

Left alone, the prompt closes itself after the kiosk's idle time (``idle_timeout`` plus
``idle_grace``): a prompt opened in the middle of a visit and walked away from must not
keep that visit, behind a Cancel, from the kiosk's idle reset.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
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
        kiosk = self.kiosk
        self._idle: Timer = self.set_timer(kiosk.idle_timeout + kiosk.idle_grace, self._left)

    def _left(self) -> None:
        if self.is_current:
            self.dismiss(False)

    def _active(self) -> None:
        self._idle.reset()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._active()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        # KioskModal/KioskScreen.on_mouse_down runs as well: Textual calls each class's handler.
        self._active()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._active()
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
        self._active()
        if event.key == "escape":
            event.stop()
            self.dismiss(False)

    def on_tap_button_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self.dismiss(False)
