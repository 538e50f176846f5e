"""Making stored records safe to write out: ``kiosk collector export``'s defence in depth.

The collector refuses on arrival what the record schema refuses, but a database may hold
records stored before it did (or copied in from elsewhere). So on the way out every text,
keys included, goes through the kiosk's own sanitising (and file names are built by
:mod:`kiosk.cli.output`, from slugs that cannot leave the output folder).
"""

from __future__ import annotations

from typing import Any

from kiosk.sanitize import clean_text


def clean_record(value: Any) -> Any:
    """``value`` with every string (dict keys too) as the kiosk's clean_text leaves it.

    Multi-line texts keep their line breaks; nothing else is changed for a record a kiosk
    made, as the kiosk stored its texts cleaned already (cleaning is stable).
    """
    if isinstance(value, str):
        return clean_text(value, max(len(value), 1), multiline=True)
    if isinstance(value, dict):
        return {_clean_key(k): clean_record(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_record(v) for v in value]
    return value


def _clean_key(key: Any) -> str:
    text = str(key)
    return clean_text(text, max(len(text), 1)) or "_"
