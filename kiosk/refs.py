"""Reference codes such as ``GM-7K3Q``: short, unique, easy to read aloud and to type back.

A visitor who leaves an idea gets a code on the thank-you screen (and in the follow-up QR
code). Somebody may later read it to an organiser over the phone or type it into a web form,
so the characters come from :data:`REF_ALPHABET`, which leaves out the look-alikes 0/O and
1/I/L. Codes are unique within the store: the caller passes ``exists`` (normally
``RecordStore.has_ref``) and :func:`new_ref` draws again on a collision.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

from kiosk.survey.model import REF_ALPHABET

#: Draws at one length before the code grows by a character: collisions mean a crowded space.
TRIES_PER_LENGTH = 8
#: Longest code body :func:`new_ref` will make before giving up (31**12 codes).
MAX_LENGTH = 12
MIN_LENGTH = 4

#: Characters a person may type between prefix and code: ASCII and typographic dashes, spaces.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
_PREFIX = re.compile(r"^[A-Z]{1,4}$")


class RefSpaceExhausted(RuntimeError):
    """No free code was found within the bounded number of draws (a broken ``exists``)."""


class _Chooser(Protocol):
    def choice(self, seq: str, /) -> str: ...


def new_ref(
    prefix: str,
    exists: Callable[[str], bool],
    length: int = MIN_LENGTH,
    rng: _Chooser = secrets,
) -> str:
    """A fresh code ``PREFIX-XXXX`` for which ``exists`` is false.

    After :data:`TRIES_PER_LENGTH` collisions at one length the code grows by one character,
    so a store holding most four-character codes still gets a code quickly; the loop is
    bounded by :data:`MAX_LENGTH` and then raises :class:`RefSpaceExhausted`.
    ``rng`` is anything with ``choice`` (``secrets`` by default, a seeded ``random.Random``
    in tests).
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"reference prefix {prefix!r} must be 1 to 4 capital letters A-Z")
    if length < MIN_LENGTH:
        raise ValueError(f"reference codes have at least {MIN_LENGTH} characters, not {length}")
    for size in range(length, max(length, MAX_LENGTH) + 1):
        for _ in range(TRIES_PER_LENGTH):
            ref = f"{prefix}-{''.join(rng.choice(REF_ALPHABET) for _ in range(size))}"
            if not exists(ref):
                return ref
    raise RefSpaceExhausted(
        f"no free reference code with prefix {prefix} up to {max(length, MAX_LENGTH)} characters"
    )


def default_prefix(survey_id: str, ref_prefix: str | None = None) -> str:
    """The survey's ``ref_prefix``, else the first letters of the parts of its id.

    ``gentofte-moedes`` gives ``GM``; a one-word id gives its first two letters
    (``koebenhavnerkonference`` -> ``KO``); an id without letters gives ``K`` (kiosk).
    """
    if ref_prefix:
        return ref_prefix
    parts = [p for p in re.split(r"[-_]+", survey_id.lower()) if p]
    letters = "".join(p[0] for p in parts if "a" <= p[0] <= "z")[:4]
    if len(letters) < 2:
        word = "".join(c for c in survey_id.lower() if "a" <= c <= "z")
        letters = word[:2]
    return letters.upper() or "K"


def normalize_ref(typed: str, prefix: str | None = None) -> str | None:
    """The canonical ``PREFIX-CODE`` for what a person typed, or None if it cannot be a code.

    Accepted: any case, surrounding or inner spaces, any dash (or none) between prefix and
    code, full-width characters (NFKC). When ``prefix`` is given, ``gm7k3q`` becomes
    ``GM-7K3Q``; without it a separator is needed to tell the prefix from the code.

    Look-alikes are *not* guessed: 0/O and 1/I/L are all outside the alphabet, so there is no
    unambiguous character to map them to (is a typed ``0`` meant as ``D`` or ``Q``?). A code
    containing them is refused (None) and the caller asks the person to check the code,
    rather than silently matching somebody else's idea.
    """
    text = unicodedata.normalize("NFKC", typed).strip().upper()
    if not text:
        return None
    pieces = [p for p in _SEPARATORS.split(text) if p]
    if prefix is not None:
        prefix = prefix.upper()
        joined = "".join(pieces)
        if not joined.startswith(prefix):
            return None
        head, body = prefix, joined[len(prefix) :]
    else:
        if len(pieces) < 2:
            return None
        head, body = pieces[0], "".join(pieces[1:])
    if not _PREFIX.match(head) or len(body) < MIN_LENGTH or len(body) > MAX_LENGTH:
        return None
    if any(c not in REF_ALPHABET for c in body):
        return None
    return f"{head}-{body}"


def followup_url(template: str, ref: str) -> str:
    """The survey's follow-up URL with ``{ref}`` filled in (URL-quoted, though codes are safe)."""
    return template.replace("{ref}", quote(ref, safe=""))


#: The collector's follow-up page for a reference code (kiosk.collector.web.followup).
COLLECTOR_FOLLOWUP_PATH = "/f/{ref}"


def followup_template(url: str | None, public_base: str | None) -> str | None:
    """The survey's follow-up URL, else the collector's page under ``public_base``, else None.

    A survey may leave ``followup.url`` out when the kiosk syncs to a collector: visitors'
    phones then open ``{public_base}/f/{ref}`` there. Known from the kiosk's own config, so
    it works offline, before the collector was ever reached.
    """
    if url:
        return url
    if public_base:
        return public_base.rstrip("/") + COLLECTOR_FOLLOWUP_PATH
    return None
