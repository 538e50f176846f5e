"""Where the thank-you screen shows what a visitor takes home: QR code and reference code.

:meth:`kiosk.app.app.KioskApp.fill_followup` fills it through :meth:`FollowupSlot.show`:
the follow-up QR code of ``kiosk.app.widgets.qr_code`` with the record's reference code,
or the reference code alone when the survey has no follow-up link.
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget


class FollowupSlot(Vertical):
    """A container on the thank-you screen, id ``followup-slot``, for follow-up widgets."""

    def __init__(self) -> None:
        super().__init__(id="followup-slot")

    def show(self, *widgets: Widget) -> None:
        """Put follow-up widgets (QR code, reference code) into the slot."""
        self.mount(*widgets)
