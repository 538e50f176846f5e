"""Cleaning what visitors type before it is stored, and every record on its way out.

Idea texts end up in organisers' terminals (``kiosk export``, ``kiosk stats``, ``less`` on a
JSONL file) and spreadsheets. A text containing terminal escape sequences could clear the
screen, retitle the window, hide lines, or forge hyperlinks there, so every escape sequence
and control character is removed; the rest is kept exactly as typed, including emoji and
æøå, only NFC-normalised so the same word is stored the same way whichever keyboard typed it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms, after ECMA-48.
# Strings (OSC, DCS, SOS, PM, APC) run to BEL or ST; an unterminated string runs to the end of
# the text, as a terminal would swallow it.
_STRING_SEQUENCE = r"(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x9c]*?(?:\x07|\x1b\\|\x9c|\Z)"
_CSI_SEQUENCE = r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
_OTHER_ESCAPE = r"\x1b[\x20-\x2f]*[\x30-\x7e]?"
_ESCAPES = re.compile(f"{_STRING_SEQUENCE}|{_CSI_SEQUENCE}|{_OTHER_ESCAPE}", re.DOTALL)

# Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069). They reorder how
# the *rest* of a line is displayed without changing the stored characters, so an idea could show
# an organiser different text, or another record's fields, than what is in the data
# ("Trojan Source", CVE-2021-42574). Arabic or Hebrew text displays correctly without them.
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0, DEL and C1 controls; the line/paragraph separators act as line breaks in many viewers.
_CONTROLS = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
_REMOVE_ALWAYS = str.maketrans("", "", _BIDI_CONTROLS + _CONTROLS.replace("\n", ""))
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
_LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")

_ZWJ = "\u200d"


def clean_text(value: str, max_length: int, multiline: bool = False) -> str:
    """``value`` without escape sequences and control characters, at most ``max_length`` long.

    Tabs become spaces; line breaks (CR LF, CR, U+2028...) become ``\\n`` when ``multiline``,
    else a space. Surrounding whitespace is trimmed. Lone surrogates, which cannot be encoded
    as UTF-8, are dropped. Length is counted in characters (code points) after NFC, and the
    cut never splits a character from its combining marks, an emoji ZWJ sequence, skin-tone
    or variation selector, or a flag pair. The result is stable: cleaning it again changes
    nothing.
    """
    if not isinstance(value, str):
        raise TypeError(f"clean_text expects a str, not {type(value).__name__}")
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, not {max_length}")
    text = _ESCAPES.sub("", value)
    text = _LONE_SURROGATES.sub("", text)
    text = text.replace("\t", " ")
    text = _LINE_BREAKS.sub("\n" if multiline else " ", text)
    text = text.translate(_REMOVE_ALWAYS)
    text = unicodedata.normalize("NFC", text)
    text = _truncate(text, max_length)
    # NFC of a cut NFC text is itself; re-normalising guards the rare hard cut inside a cluster.
    text = unicodedata.normalize("NFC", text).strip()
    while len(text) > max_length:  # normalisation can only shrink, but never trust it blindly
        text = text[:max_length].strip()
    return text


def forbidden_character(text: str, allowed: str = "\n\t") -> str | None:
    """The first control or bidirectional control character in ``text`` (but ``allowed``).

    Used where text written by someone else is refused rather than cleaned: a survey file's
    texts are shown to every visitor, so an ESC or a bidi override there is an error to fix
    at its source, not something to strip silently.
    """
    for char in text:
        if (char in _CONTROLS or char in _BIDI_CONTROLS) and char not in allowed:
            return char
    return None


def clean_record(value: Any) -> Any:
    """``value`` with every string (dict keys too) as :func:`clean_text` leaves it.

    Every export cleans records on the way out (defence in depth): a kiosk stored its texts
    cleaned already (cleaning is stable, so they come out unchanged), but a line forged into
    a store, or a record in a collector database from before it refused such text, was never
    typed at a kiosk. Multi-line texts keep their line breaks.
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


def _truncate(text: str, max_length: int) -> str:
    """The longest prefix of at most ``max_length`` characters ending on a cluster boundary."""
    if len(text) <= max_length:
        return text
    cut = max_length
    while cut > 0 and not _is_boundary(text, cut):
        cut -= 1
    return text[:cut] if cut > 0 else text[:max_length]


def _is_boundary(text: str, index: int) -> bool:
    """Whether a cut before ``text[index]`` keeps user-perceived characters whole (cheaply)."""
    before, after = text[index - 1], text[index]
    if before == _ZWJ or after == _ZWJ:
        return False
    if unicodedata.combining(after) or unicodedata.category(after) in ("Mn", "Me", "Mc"):
        return False
    code = ord(after)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:  # skin tones, emoji tags
        return False
    if _is_regional(after) and _is_regional(before):
        run = 0
        i = index - 1
        while i >= 0 and _is_regional(text[i]):
            run += 1
            i -= 1
        return run % 2 == 0
    return not ("\u1100" <= before <= "\u115f" and "\u1160" <= after <= "\u11ff")


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF
