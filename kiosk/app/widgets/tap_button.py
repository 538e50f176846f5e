"""Big tappable buttons drawn from our own palette (Textual's Button brings its theme's)."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual._time import get_time
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static


class TapButton(Static, can_focus=True):
    """A button a finger or the space bar presses; Enter is left to the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "tap", show=False)]
    #: A tap is a press, never the start of a text selection: Textual's selection sets the
    #: screen's select state on mouse down and clears it on mouse up, and each of those
    #: repaints the whole screen (in a browser, a full frame sent before the tap is handled).
    ALLOW_SELECT: ClassVar[bool] = False
    #: A tap presses the button; it does not move the keyboard's place. Focus taken on
    #: mouse down is a frame of its own before the tap is handled, and a tap that moves on
    #: moves focus back to Next: in a tablet's browser two extra frames per tap.
    FOCUS_ON_CLICK: ClassVar[bool] = False

    class Tapped(Message):
        """Posted when the button is pressed by tap, click or key."""

        def __init__(self, button: TapButton, origin: float | None = None) -> None:
            super().__init__()
            self.button = button
            #: When the input that pressed the button arrived (the click's time, on the
            #: clock of ``Message.time``): a screen drops a tap that came before it was shown.
            self.origin = self.time if origin is None else origin

        @property
        def control(self) -> TapButton:
            return self.button

    def __init__(self, label: str, *, value: object = None, **kwargs: object) -> None:
        super().__init__(label, markup=False, **kwargs)  # type: ignore[arg-type]
        self.value = value

    def action_tap(self) -> None:
        self.post_message(self.Tapped(self, get_time()))

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Tapped(self, event.time))


class NavButton(TapButton):
    """Back, Next, Start and the like: Enter on a focused one presses it too."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space,enter", "tap", show=False)]
