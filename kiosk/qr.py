"""QR codes drawn with Unicode half-blocks, scannable from a kiosk screen.

A terminal cell is about twice as tall as it is wide, so one cell holds two modules stacked:
one column by half a row each, which makes the modules square. The upper and lower module
of a cell are drawn with ``▀``, ``▄``, ``█`` or a space in *fixed* colours (dark #000000
foreground on light #FFFFFF background): a phone needs dark modules on light, and a dark
theme must not invert the code. The four-module quiet zone around the code is part of the
drawing, since a scanner needs it and the surrounding screen may be any colour.

Pure Python and Rich only (no Textual), so the CLI and tests can use it too.
"""

from __future__ import annotations

from math import ceil

import qrcode
from qrcode.exceptions import DataOverflowError
from rich.segment import Segment
from rich.style import Style

Matrix = list[list[bool]]

#: Modules of light margin around the code that QR readers need (ISO/IEC 18004).
QUIET_ZONE = 4
DARK = "#000000"
LIGHT = "#FFFFFF"
#: The one style of every QR cell: glyph (foreground) dark, the rest (background) light.
QR_STYLE = Style(color=DARK, bgcolor=LIGHT, bold=False, dim=False, reverse=False)

# (upper dark, lower dark) -> glyph, drawn in QR_STYLE.
_GLYPHS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


class QRDataTooLong(ValueError):
    """The data does not fit in the largest QR code (version 40)."""


def qr_matrix(data: str) -> Matrix:
    """The modules of the smallest QR code holding ``data`` (error correction M), no border.

    Level M (15 % recovery) tolerates glare and a smudged touch screen while keeping the code
    small enough for an 80x24 screen.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError) as error:
        raise QRDataTooLong(f"{len(data)} characters are too many for a QR code") from error
    return [[bool(module) for module in row] for row in code.get_matrix()]


def drawn_size(matrix: Matrix, quiet_zone: int = QUIET_ZONE) -> tuple[int, int]:
    """(columns, rows) of cells the drawing of ``matrix`` takes, quiet zone included."""
    side = len(matrix) + 2 * quiet_zone
    return side, ceil(side / 2)


def fits(matrix: Matrix, width: int, height: int, quiet_zone: int = QUIET_ZONE) -> bool:
    """Whether the code with its quiet zone fits in ``width`` x ``height`` cells at full size."""
    columns, rows = drawn_size(matrix, quiet_zone)
    return columns <= width and rows <= height


def render_half_blocks(matrix: Matrix, quiet_zone: int = QUIET_ZONE) -> list[str]:
    """One string per text row, each character covering two module rows.

    The strings are only correct drawn in :data:`QR_STYLE` (see :func:`render_segments`):
    ``█`` is two dark modules, ``▀`` dark above light, ``▄`` light above dark, a space two
    light modules. Outside the matrix (quiet zone, and the half row under an odd-sized
    drawing) is light.
    """
    size = len(matrix)
    side = size + 2 * quiet_zone

    def dark(row: int, column: int) -> bool:
        r, c = row - quiet_zone, column - quiet_zone
        return 0 <= r < size and 0 <= c < size and matrix[r][c]

    return [
        "".join(_GLYPHS[dark(top, column), dark(top + 1, column)] for column in range(side))
        for top in range(0, side, 2)
    ]


def render_segments(matrix: Matrix, quiet_zone: int = QUIET_ZONE) -> list[Segment]:
    """One Rich segment per text row, in explicit dark-on-light colours whatever the theme."""
    return [Segment(row, QR_STYLE) for row in render_half_blocks(matrix, quiet_zone)]
