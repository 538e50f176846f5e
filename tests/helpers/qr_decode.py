"""Turn what a Textual app has on screen into an image and read QR codes from it.

Each terminal cell becomes one pixel wide and two high: the upper pixel is the foreground
colour for '▀' and '█' and the background colour otherwise, the lower pixel likewise for
'▄' and '█'. Other characters count as their background (text is thin). The image is scaled
up and given to zxing-cpp, a real QR decoder, so a test sees what a phone would.
"""

from __future__ import annotations

import numpy as np
import zxingcpp
from rich.color import Color
from rich.style import Style
from textual.app import App

UPPER = frozenset("▀█")
LOWER = frozenset("▄█")
HALF_BLOCKS = frozenset("▀▄█")


def screen_cells(app: App) -> list[list[tuple[str, Style]]]:
    """Every cell of the app's current screen as (character, style), row by row."""
    rows: list[list[tuple[str, Style]]] = []
    for strip in app.screen._compositor.render_strips():
        row: list[tuple[str, Style]] = []
        for segment in strip:
            style = segment.style or Style()
            for char in segment.text:
                row.append((char, style))
        rows.append(row)
    return rows


def _grey(color: Color | None, default: int) -> int:
    if color is None:
        return default
    red, green, blue = color.get_truecolor()
    return round(0.299 * red + 0.587 * green + 0.114 * blue)


def screen_image(app: App, scale: int = 4) -> np.ndarray:
    """A greyscale image of the screen: 1 x 2 pixels per cell, times ``scale``."""
    cells = screen_cells(app)
    width = max(len(row) for row in cells)
    image = np.full((2 * len(cells), width), 128, dtype=np.uint8)
    for y, row in enumerate(cells):
        for x, (char, style) in enumerate(row):
            fg, bg = style.color, style.bgcolor
            if style.reverse:
                fg, bg = bg, fg
            fore, back = _grey(fg, 255), _grey(bg, 0)
            image[2 * y, x] = fore if char in UPPER else back
            image[2 * y + 1, x] = fore if char in LOWER else back
    return np.kron(image, np.ones((scale, scale), dtype=np.uint8))


def decode_screen(app: App) -> list[str]:
    """The texts of all QR codes zxing-cpp finds on the app's screen."""
    results = zxingcpp.read_barcodes(screen_image(app), formats=zxingcpp.BarcodeFormat.QRCode)
    return [result.text for result in results]


def half_block_count(app: App) -> int:
    """How many cells show a half or full block: zero means no code (or part of one) is drawn."""
    return sum(char in HALF_BLOCKS for row in screen_cells(app) for char, _ in row)
