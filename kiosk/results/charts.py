"""Charts of the report as inline SVG, drawn with matplotlib (Agg, no display, no network).

matplotlib is imported inside the functions: ``kiosk run`` never pays for it, and
``kiosk report`` only when it draws. Figures are made with :class:`matplotlib.figure.Figure`
directly (no pyplot), so no global figure state is kept between charts. Text stays text
in the SVG (``svg.fonttype: none``): smaller files, and the numbers can be searched and
read by a screen reader.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

_BAR = "#2b6a99"
_PALETTE = ("#2b6a99", "#d1772b", "#3f9b5a", "#8a55a8", "#b8403d", "#6b6b6b")
_SVG_START = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=96)
    return figure


def _svg(figure: Any) -> str:
    import matplotlib

    buffer = io.StringIO()
    params = {"svg.fonttype": "none", "svg.hashsalt": "borgerkiosk", "font.size": 9}
    with matplotlib.rc_context(params):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    # only the <svg> element: the XML prolog and DOCTYPE do not belong inside HTML
    return _SVG_START.sub("", buffer.getvalue(), count=1)


def _plain(text: str, limit: int = 48) -> str:
    """A label as matplotlib should draw it: no mathtext ($...$), at most ``limit`` long."""
    text = text.replace("$", r"\$")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(labels: Sequence[str], counts: Sequence[int], shares: Sequence[float]) -> str:
    """Horizontal bars, one per choice, each annotated with its count and percentage."""
    figure = _figure(6.4, 0.42 * len(labels) + 0.6)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.barh(positions, counts, color=_BAR)
    axes.set_yticks(positions, [_plain(label) for label in labels])
    axes.invert_yaxis()
    top = max(counts, default=0) or 1
    axes.set_xlim(0, top * 1.28)
    for position, count, share in zip(positions, counts, shares, strict=True):
        axes.annotate(
            f"{count} ({share * 100:.0f} %)",
            (count, position),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
        )
    _tidy(axes)
    axes.xaxis.set_visible(False)
    return _svg(figure)


def column_chart(labels: Sequence[str], counts: Sequence[int]) -> str:
    """Vertical bars over a scale or number range, each with its count on top."""
    figure = _figure(6.4, 2.6)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.bar(positions, counts, color=_BAR)
    axes.set_xticks(positions, [_plain(label, 14) for label in labels])
    if len(labels) > 12:
        for tick in axes.get_xticklabels():
            tick.set_rotation(60)
    top = max(counts, default=0) or 1
    axes.set_ylim(0, top * 1.18)
    for position, count in zip(positions, counts, strict=True):
        axes.annotate(
            str(count), (position, count), xytext=(0, 2), textcoords="offset points", ha="center"
        )
    _tidy(axes)
    axes.yaxis.set_visible(False)
    return _svg(figure)


def hours_chart(per_hour: dict[str, list[int]]) -> str:
    """Visits per local hour, one line per kiosk, over the hours anything happened."""
    active = [h for h in range(24) if any(hours[h] for hours in per_hour.values())]
    first, last = (min(active), max(active)) if active else (8, 18)
    hours = list(range(first, last + 1))
    figure = _figure(6.4, 2.8)
    axes = figure.add_subplot()
    for index, (kiosk, counts) in enumerate(per_hour.items()):
        color = _PALETTE[index % len(_PALETTE)]
        axes.plot(hours, [counts[h] for h in hours], marker="o", color=color, label=_plain(kiosk))
    axes.set_xticks(hours, [f"{h:02d}" for h in hours])
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#dddddd")
    if per_hour:
        axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _tidy(axes)
    return _svg(figure)


def _tidy(axes: Any) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
