"""The follow-up code on the thank-you screen: QR code, reference code in large type, caption.

The QR code is drawn at exactly one module per column and half row (see :mod:`kiosk.qr`):
shrinking it would break it, so when the space this widget gets is too small, the URL is
shown as text instead. A visitor never sees a partial or distorted code.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Static

from kiosk.qr import QRDataTooLong, drawn_size, fits, qr_matrix, render_segments

#: Gap between the code and the text beside it.
GAP = 2
#: Narrowest the caption column may get beside the code.
MIN_SIDE_WIDTH = 16


class QRImage(Widget):
    """A QR matrix drawn in half-blocks; blank, never cropped, if its region is too small."""

    DEFAULT_CSS = """
    QRImage {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, matrix: list[list[bool]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.matrix = matrix
        self._rows = render_segments(matrix)
        self._columns, _ = drawn_size(matrix)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._columns

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y >= len(self._rows) or not fits(self.matrix, width, self.size.height):
            return Strip.blank(width, self.rich_style)
        segment: Segment = self._rows[y]
        blank = Style(bgcolor=self.rich_style.bgcolor)
        return Strip([segment], self._columns).extend_cell_length(width, blank).crop(0, width)


class FollowupCode(Widget):
    """QR code of ``url`` with ``ref`` in large type beside it and ``caption`` under the ref.

    ``ref_label`` names the code above it ("Din referencekode"); ``go_to`` leads the URL
    when the URL must stand instead of the code ("Gå til").

    Give it the space it may use (it fills its parent's free space by default: ``1fr``);
    it decides on every resize whether the code fits beside the text, else shows ``url``.
    """

    DEFAULT_CSS = """
    FollowupCode {
        width: 1fr;
        height: 1fr;
        align-vertical: middle;
    }
    FollowupCode > Horizontal {
        height: auto;
        width: 1fr;
    }
    FollowupCode QRImage {
        margin-right: 2;
    }
    FollowupCode .followup-side {
        width: 1fr;
        height: auto;
    }
    FollowupCode .followup-ref {
        text-style: bold;
        border: heavy;
        padding: 1 2;
        width: auto;
    }
    FollowupCode .followup-caption {
        width: 1fr;
        margin-top: 1;
    }
    FollowupCode .followup-url {
        width: 1fr;
        height: auto;
        margin-top: 1;
        text-style: bold;
        display: none;
    }
    FollowupCode.-url QRImage {
        display: none;
    }
    FollowupCode.-url .followup-url {
        display: block;
    }
    """

    def __init__(
        self,
        url: str,
        ref: str,
        caption: str,
        *,
        ref_label: str = "",
        go_to: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.url = url
        self.ref = ref
        self.caption = caption
        self.ref_label = ref_label
        self.go_to = go_to
        try:
            self.matrix: list[list[bool]] | None = qr_matrix(url)
        except QRDataTooLong:
            self.matrix = None
        # Until the first resize says otherwise, the URL as text: never a code that may not fit.
        self.add_class("-url")

    @property
    def shows_qr(self) -> bool:
        """Whether the QR code (rather than the URL as text) is on screen."""
        return not self.has_class("-url")

    def compose(self) -> ComposeResult:
        with Horizontal():
            if self.matrix is not None:
                yield QRImage(self.matrix)
            with Vertical(classes="followup-side"):
                if self.ref_label:
                    yield Static(self.ref_label, classes="followup-ref-label", markup=False)
                yield Label(self.ref, classes="followup-ref", markup=False)
                yield Static(self.caption, classes="followup-caption", markup=False)
                url = f"{self.go_to} {self.url}" if self.go_to else self.url
                yield Static(url, classes="followup-url", markup=False)

    def code_fits(self, size: Size) -> bool:
        """Whether the code at full size plus the reference beside it fit in ``size``."""
        if self.matrix is None:
            return False
        side = max(MIN_SIDE_WIDTH, len(self.ref) + 6)  # heavy border + padding around the ref
        return fits(self.matrix, size.width - GAP - side, size.height)

    # Decide on the size the widget has *now*, at every chance: a queued Resize may describe
    # a size that has already changed, and a widget mounted during its screen's first layout
    # does not always receive one.
    def on_mount(self) -> None:
        self.call_after_refresh(self._decide)

    def on_show(self) -> None:
        self._decide()
        self.call_after_refresh(self._decide)

    def on_resize(self, _event: events.Resize) -> None:
        self._decide()
        self.call_after_refresh(self._decide)

    def _decide(self) -> None:
        self.set_class(not self.code_fits(self.size), "-url")
