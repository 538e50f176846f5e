"""Borgerkiosk: surveys and idea cards for citizen dialogue events.

The package is split by concern so a newcomer finds each room by its name:
``survey`` (the survey format and its validator), ``store`` (the crash-proof
local store), ``records`` (what a saved answer looks like), ``cli`` (the
``kiosk`` command), and the visitor app, sync client and collector beside them.
"""

__version__ = "0.1.0"
