"""The forms of ids that both the kiosk and the collector accept: one definition for both sides.

A kiosk id the kiosk lets through but the collector refuses means a kiosk that never syncs;
an id the collector lets through but the kiosk never makes is an attacker's way in (a
survey id ``../x`` became a file name in the export). Plain ``re`` only: the kiosk's
config is read before pydantic is loaded.
"""

from __future__ import annotations

import re

#: Survey, question, choice and theme ids: lowercase letters and digits joined by - or _.
SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
SLUG_MAX_LENGTH = 64
LANG_PATTERN = r"^[a-z]{2,3}$"

KIOSK_ID_MAX_LENGTH = 64
#: Letters (any script) and digits, with spaces and ``- _ . / : # ( )`` between them, so
#: "gentofte-stand-1" and "bus/linje 1" work; no control, invisible or bidi characters.
KIOSK_ID_PATTERN = r"^\w(?:[\w .\-/:#()]*[\w)])?$"
KIOSK_ID_RULE = (
    f"1 to {KIOSK_ID_MAX_LENGTH} letters and digits, with spaces and - _ . / : # ( ) "
    "between them, e.g. gentofte-stand-1"
)

_SLUG = re.compile(SLUG_PATTERN.rstrip("$") + r"\Z")
_KIOSK_ID = re.compile(KIOSK_ID_PATTERN.rstrip("$") + r"\Z")


def is_slug(value: object) -> bool:
    """Whether ``value`` is a survey/question/choice id (a str of the slug form)."""
    return (
        isinstance(value, str) and len(value) <= SLUG_MAX_LENGTH and _SLUG.match(value) is not None
    )


def kiosk_id_problem(value: object) -> str | None:
    """Why ``value`` cannot be a kiosk id (never quoting it), or None when it can."""
    if not isinstance(value, str):
        return "a kiosk id must be a text"
    if len(value) > KIOSK_ID_MAX_LENGTH:
        return f"a kiosk id has at most {KIOSK_ID_MAX_LENGTH} characters, not {len(value)}"
    if _KIOSK_ID.match(value) is None:
        return f"a kiosk id is {KIOSK_ID_RULE}"
    return None
