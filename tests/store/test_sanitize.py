"""clean_text: escape sequences and controls never survive; Danish and emoji always do."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.sanitize import clean_text

C0_C1 = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Text biased towards the nasty parts: escapes, controls, bidi, combining marks, emoji.
NASTY = st.sampled_from(
    [
        "\x1b",
        "\x1b[",
        "\x1b]",
        "\x1bP",
        "\x1b\\",
        "\x9b",
        "\x9d",
        "\x9c",
        "\x07",
        "\r\n",
        "\r",
        "\n",
        "\t",
        "\x00",
        "\x7f",
        "\x85",
        "\u2028",
        "\u202e",
        "\u2066",
        "\u200d",
        "\u0301",
        "\ufe0f",
        "\U0001f3fd",
        "\U0001f1e9",
        "\U0001f1f0",
        "\ud800",
        "31m",
        "0;title",
        "æ",
        "Ø",
        "å",
        "👩‍👩‍👧",
        " ",
    ]
)
TEXTS = st.lists(st.one_of(NASTY, st.text(max_size=5)), max_size=40).map("".join)


def _forbidden(text: str, multiline: bool) -> set[str]:
    allowed = {"\n"} if multiline else set()
    return (set(text) & (C0_C1 | BIDI)) - allowed


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=60), st.booleans())
@example("\x1b]0;pwned\x07hej", 10, False)
@example("a\u0301" * 3, 2, False)
def test_properties(value: str, max_length: int, multiline: bool) -> None:
    out = clean_text(value, max_length, multiline)
    assert "\x1b" not in out
    assert not _forbidden(out, multiline)
    assert len(out) <= max_length
    assert out == unicodedata.normalize("NFC", out)
    out.encode("utf-8")  # never a lone surrogate
    assert clean_text(out, max_length, multiline) == out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcæøåÆØÅ ,.!?-😀👍🏽🇩🇰", min_size=1, max_size=50))
def test_danish_and_emoji_survive(value: str) -> None:
    out = clean_text(value, 1000, multiline=False)
    assert out == unicodedata.normalize("NFC", value).strip()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\x1b[2J\x1b[HGrønne tage", "Grønne tage"),  # clear screen, cursor home
        ("\x1b[31;1mrød\x1b[0m", "rød"),
        ("\x1b]0;Hacked title\x07idé", "idé"),  # OSC with BEL
        ("\x1b]8;;https://evil.example\x1b\\klik\x1b]8;;\x1b\\", "klik"),  # OSC 8 hyperlink
        ("\x1bPq#0;2;0;0;0\x1b\\ok", "ok"),  # DCS (sixel)
        ("\x1b_apc\x1b\\ok", "ok"),
        ("\x9b31mok", "ok"),  # 8-bit CSI
        ("\x9d0;t\x9cok", "ok"),  # 8-bit OSC and ST
        ("\x1bcreset", "reset"),  # ESC c is a full reset; the 'c' is part of it
        ("\x1b(Bok", "ok"),  # charset designation
        ("ok\x1b]0;never ends", "ok"),
        ("bell\x07\x08\x00", "bell"),
        ("a\tb", "a b"),
        ("user\u202eexe.txt", "userexe.txt"),
        ("  æøå ÆØÅ 👩‍👩‍👧 🇩🇰  ", "æøå ÆØÅ 👩‍👩‍👧 🇩🇰"),
        ("e\u0301", "é"),
    ],
)
def test_examples(value: str, expected: str) -> None:
    assert clean_text(value, 100) == expected


def test_line_breaks() -> None:
    assert clean_text("a\r\nb\rc\nd\u2028e", 100, multiline=True) == "a\nb\nc\nd\ne"
    assert clean_text("a\r\nb\rc\nd", 100, multiline=False) == "a b c d"


def test_length_counts_characters_not_bytes() -> None:
    assert clean_text("æ" * 100, 80) == "æ" * 80


@pytest.mark.parametrize(
    ("value", "max_length", "expected"),
    [
        ("ab👩‍👩‍👧", 4, "ab"),  # never half a family
        ("ab👍🏽", 3, "ab"),  # never a thumb without its skin tone
        ("ab🇩🇰🇸🇪", 5, "ab🇩🇰"),  # never half a flag
        ("abe\u0301\u0323", 3, "ab"),  # never a letter without its marks
    ],
)
def test_cut_keeps_clusters_whole(value: str, max_length: int, expected: str) -> None:
    assert clean_text(value, max_length) == expected


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_length"):
        clean_text("x", 0)
    with pytest.raises(TypeError, match="str"):
        clean_text(None, 10)  # type: ignore[arg-type]
