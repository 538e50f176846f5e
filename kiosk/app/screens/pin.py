"""The organiser PIN prompt; five wrong PINs lock it for 60 seconds (see PinGate).

Left alone, the prompt closes itself after the kiosk's idle time (``idle_timeout`` plus
``idle_grace``): a prompt opened in the middle of a visit and walked away from must not
keep that visit, behind a Cancel, from the kiosk's idle reset.

On a touch kiosk (``--touch``) the prompt has a keypad: digits, erase and OK, so an
organiser without a keyboard can get in.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.app.screens.base import KioskModal
from kiosk.app.widgets.onscreen_keyboard import NEXT, OnScreenKeyboard, keyboard_labels
from kiosk.app.widgets.tap_button import NavButton, TapButton


class PinScreen(KioskModal):
    """Dismissed with True for the right PIN, False when cancelled (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        touch = self.kiosk.settings.touch
        with Vertical(id="dialog", classes="-touch" if touch else ""):
            yield Static(self.t("pin.title"), id="dialog-title")
            yield Static(self.t("pin.prompt"), classes="dialog-text")
            yield Input(password=True, max_length=32, id="pin-input")
            yield Static(self._lock_text(), id="pin-message", classes="error")
            if touch:
                labels = {**keyboard_labels(self.t), NEXT: self.t("pin.ok")}
                yield OnScreenKeyboard("number", labels=labels, id="pin-keypad")
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
        self._attempt()

    def on_on_screen_keyboard_next(self, event: OnScreenKeyboard.Next) -> None:
        """The keypad's OK: the same as Enter."""
        event.stop()
        self._attempt()

    def _attempt(self) -> None:
        field = self.query_one("#pin-input", Input)
        result = self.kiosk.pin_gate.attempt(field.value)
        field.value = ""
        message = self.query_one("#pin-message", Static)
        if result.outcome == "ok":
            self.dismiss(True)
        elif result.outcome == "locked":
            message.update(self.t("pin.locked", seconds=result.seconds_left))
        else:
            message.update(self.t("pin.wrong", left=result.tries_left))

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(TapButton.Tapped, "#pin-cancel")
    def _cancel_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        self.action_cancel()
