"""What every kiosk screen shares: the kiosk, its texts, its breakpoints, taps and idle time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

if TYPE_CHECKING:
    from kiosk.app.app import KioskApp


class KioskPart:
    """Mixed into every kiosk screen and prompt; ``-short`` below 32 rows keeps 80x24 usable."""

    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (32, "-tall")]

    #: Textual's ``Screen.focused`` repaints the whole screen whenever focus moves, though
    #: the two widgets whose focus changed refresh themselves (and ``:focus-within``
    #: ancestors are restyled). A tap that moves on focuses twice (the tapped button, then
    #: the next question's Next), and each full repaint is a whole-screen frame: in a
    #: tablet's browser that frame is what a visitor waits for. Only the changed parts are
    #: drawn instead.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    @property
    def kiosk(self) -> KioskApp:
        return self.app  # type: ignore[attr-defined,no-any-return]

    def t(self, key: str, **values: Any) -> str:
        return self.kiosk.t(key, **values)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.kiosk.pointer_down(event)

    def idle_for(self, seconds: float) -> None:
        """Seconds since the last key or tap, told by the app a few times a second to the
        screen on top: one that must not outlast a visitor walking away acts on it."""


class KioskScreen(KioskPart, Screen[Any]):
    """A full screen of the kiosk."""


class KioskModal(KioskPart, ModalScreen[Any]):
    """A prompt over the current screen (still there?, PIN)."""
