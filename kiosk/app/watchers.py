"""Forgetting watchers that removed widgets left on long-lived objects (the app itself).

``widget.watch(app, "theme", ...)`` (Textual's TextArea does it on mount) appends the
widget and its callback to a list on the *app*; Textual drops closed widgets from that list
only when the watched value changes next (textual issue #6666). The kiosk never changes
its theme, so each visit's TextArea, with its document, undo history and caches, would
stay alive until the kiosk stops: about 3 KiB of Python objects per visitor who met a text
area, for ever. :func:`drop_closed_watchers` does Textual's own clean-up at a moment the
kiosk chooses (the end of each visit).
"""

from __future__ import annotations

from typing import Any

#: Where Textual keeps the watchers of a reactable (``textual.reactive._watch``).
_WATCHERS = "__watchers"


def drop_closed_watchers(obj: Any) -> int:
    """Drop watchers on ``obj`` whose widget has closed; returns how many were dropped."""
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(obj, _WATCHERS, None) or {}
    dropped = 0
    for watcher_list in watchers.values():
        alive = [
            (node, callback)
            for node, callback in watcher_list
            if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))
        ]
        dropped += len(watcher_list) - len(alive)
        watcher_list[:] = alive
    return dropped


def watcher_count(obj: Any) -> int:
    """How many watchers ``obj`` holds (for tests: it must not grow visit after visit)."""
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(obj, _WATCHERS, None) or {}
    return sum(len(watcher_list) for watcher_list in watchers.values())
