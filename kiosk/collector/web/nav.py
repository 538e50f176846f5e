"""The navigation bar of signed-in pages: (text key in the web copy, path), in order.

Each area adds its own line here (overview, results, board, ideas).
"""

from __future__ import annotations

NAV: list[tuple[str, str]] = [
    ("nav.overview", "/overview"),
    ("nav.results", "/results"),
    ("nav.ideas", "/ideas"),
]
#: Where a sign-in lands when no page was asked for.
HOME_PATH = "/ideas"
