"""Who may open a kiosk page, and which names and text sizes a page address may ask for.

Everything here reads the page address, which anyone on the venue's Wi-Fi can type:
values are checked against fixed rules and never quoted back.
"""

from __future__ import annotations

import hmac
import secrets

from kiosk.ids import kiosk_id_problem

#: Characters of the access key: no look-alikes (0/o, 1/l), easy to type on a tablet.
_KEY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
KEY_LENGTH = 20  # about 99 bits
#: The page's text sizes (``?size=``) as xterm.js font sizes in pixels.
FONT_SIZES = {"normal": 16, "large": 22, "xlarge": 28}
DEFAULT_SIZE = "normal"
#: A tablet name in the address is also a path segment of the session's websocket and an
#: argument of its process: besides the kiosk id rule, no slash and nothing that starts
#: like an option.
_NAME_EXTRA_FORBIDDEN = "/"


def new_access_key() -> str:
    """A fresh random access key for one run of ``kiosk serve``."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH))


def key_matches(given: str | None, key: str) -> bool:
    """Whether the address holds the key, compared in constant time."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), key.encode("utf-8"))


def tablet_name_problem(value: str | None) -> str | None:
    """Why ``value`` cannot name a tablet (its kiosk id), never quoting it; None if it can."""
    problem = kiosk_id_problem(value)
    if problem:
        return problem
    assert isinstance(value, str)
    if any(c in value for c in _NAME_EXTRA_FORBIDDEN) or value.startswith("-"):
        return "a tablet's name has no '/' and does not start with '-'"
    return None


def font_size(size: str | None) -> int:
    """The font size for ``?size=``; an unknown value gets the normal size."""
    return FONT_SIZES.get(size or DEFAULT_SIZE, FONT_SIZES[DEFAULT_SIZE])


def size_name(size: str | None) -> str:
    """``size`` if it is one of :data:`FONT_SIZES`, else the default."""
    return size if size in FONT_SIZES else DEFAULT_SIZE
