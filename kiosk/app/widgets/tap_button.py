"""Big tappable buttons drawn from our own palette (Textual's Button brings its theme's)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static


class TapButton(Static, can_focus=True):
    """A button a finger or the space bar presses; Enter is left to the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "tap", show=False)]

    class Tapped(Message):
        """Posted when the button is pressed by tap, click or key."""

        def __init__(self, button: TapButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> TapButton:
            return self.button

    def __init__(self, label: str, *, value: object = None, **kwargs: object) -> None:
        super().__init__(label, markup=False, **kwargs)  # type: ignore[arg-type]
        self.value = value

    def action_tap(self) -> None:
        self.post_message(self.Tapped(self))

    def on_click(self) -> None:
        self.post_message(self.Tapped(self))


class NavButton(TapButton):
    """Back, Next, Start and the like: Enter on a focused one presses it too."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space,enter", "tap", show=False)]
