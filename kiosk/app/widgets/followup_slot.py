"""Where the thank-you screen shows what a visitor takes home: QR code and reference code.

Empty for now. Issue 4 fills it with ``kiosk.app.widgets.qr_code`` and the record's
reference code from ``kiosk.refs`` through :meth:`FollowupSlot.show`.
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
