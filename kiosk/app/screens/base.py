"""What every kiosk screen shares: the translator and the kiosk's breakpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from kiosk.app.app import KioskApp


class KioskScreen(Screen[Any]):
    """A full screen of the kiosk; ``-short`` below 32 rows keeps 80x24 usable."""

    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (32, "-tall")]

    @property
    def kiosk(self) -> KioskApp:
        return self.app  # type: ignore[return-value]

    def t(self, key: str, **values: Any) -> str:
        return self.kiosk.t(key, **values)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.kiosk.pointer_down(event)


class KioskModal(ModalScreen[Any]):
    """A prompt over the current screen (still there?, PIN)."""

    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (32, "-tall")]

    @property
    def kiosk(self) -> KioskApp:
        return self.app  # type: ignore[return-value]

    def t(self, key: str, **values: Any) -> str:
        return self.kiosk.t(key, **values)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.kiosk.pointer_down(event)
