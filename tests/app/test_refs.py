"""Reference codes: shape, alphabet, uniqueness against a real store, growth, typing back."""

from __future__ import annotations

import random
import re

import pytest

from kiosk.refs import (
    MAX_LENGTH,
    RefSpaceExhausted,
    default_prefix,
    followup_url,
    new_ref,
    normalize_ref,
)
from kiosk.store import RecordStore
from kiosk.survey.model import REF_ALPHABET

LOOK_ALIKES = set("0O1IL")


def test_shape_and_alphabet() -> None:
    rng = random.Random(1)
    for _ in range(500):
        ref = new_ref("GM", lambda _ref: False, rng=rng)
        assert re.fullmatch(r"GM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}", ref), ref
        assert not LOOK_ALIKES & set(ref[3:])


def test_default_rng_is_secrets_and_codes_differ() -> None:
    refs = {new_ref("GM", lambda _ref: False) for _ in range(200)}
    assert len(refs) > 190  # 31**4 codes: a handful of repeats at most


def test_unique_against_a_real_store(store: RecordStore, make_record) -> None:
    taken = []
    for _ in range(30):
        ref = new_ref("GM", store.has_ref)
        store.save(make_record(kind="idea", ref=ref, idea={"theme": "t", "title": "x"}))
        taken.append(ref)
    assert len(set(taken)) == 30
    assert all(store.has_ref(ref) for ref in taken)


def test_collision_draws_again() -> None:
    rng = random.Random(7)
    first = new_ref("GM", lambda _ref: False, rng=random.Random(7))
    seen: list[str] = []

    def exists(ref: str) -> bool:
        seen.append(ref)
        return ref == first

    ref = new_ref("GM", exists, rng=rng)
    assert seen[0] == first
    assert ref != first
    assert len(ref) == len(first)


def test_grows_when_the_space_is_crowded() -> None:
    ref = new_ref("GM", lambda r: len(r) <= len("GM-") + 4, rng=random.Random(3))
    assert len(ref) == len("GM-") + 5
    assert all(c in REF_ALPHABET for c in ref[3:])


def test_bounded_when_everything_exists() -> None:
    calls = 0

    def exists(_ref: str) -> bool:
        nonlocal calls
        calls += 1
        return True

    with pytest.raises(RefSpaceExhausted, match="prefix GM"):
        new_ref("GM", exists, rng=random.Random(0))
    assert 0 < calls <= 8 * (MAX_LENGTH - 4 + 1)


@pytest.mark.parametrize("prefix", ["", "gm", "ABCDE", "G-M", "Ø"])
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_ref(prefix, lambda _ref: False)


def test_default_prefix() -> None:
    assert default_prefix("gentofte-moedes", "GM") == "GM"
    assert default_prefix("gentofte-moedes") == "GM"
    assert default_prefix("opgaveudvalg-borgermoede") == "OB"
    assert default_prefix("koebenhavnerkonference") == "KO"
    assert default_prefix("a_b-c-d-e") == "ABCD"
    assert default_prefix("2026") == "K"
    assert re.fullmatch(r"[A-Z]{1,4}", default_prefix("x-2026"))


@pytest.mark.parametrize(
    ("typed", "prefix", "expected"),
    [
        ("GM-7K3Q", None, "GM-7K3Q"),
        ("  gm-7k3q ", None, "GM-7K3Q"),
        ("gm 7k3q", None, "GM-7K3Q"),
        ("GM–7K3Q", None, "GM-7K3Q"),  # en dash from a phone keyboard
        ("ＧＭ－７Ｋ３Ｑ", None, "GM-7K3Q"),  # full-width
        ("gm7k3q", "GM", "GM-7K3Q"),
        ("GM 7K 3Q", "GM", "GM-7K3Q"),
        ("GM-7K3QA", None, "GM-7K3QA"),
        ("GM7K3Q", None, None),  # no separator and no known prefix
        ("GM-7K3", None, None),  # too short
        ("GM-7K3O", None, None),  # O is not in the alphabet: no guessing
        ("GM-7K30", None, None),
        ("GM-1K3Q", None, None),
        ("GM-LK3Q", None, None),
        ("XY-7K3Q", "GM", None),
        ("", None, None),
        ("-", None, None),
    ],
)
def test_normalize_ref(typed: str, prefix: str | None, expected: str | None) -> None:
    assert normalize_ref(typed, prefix) == expected


def test_normalize_accepts_every_new_ref() -> None:
    rng = random.Random(11)
    for _ in range(200):
        ref = new_ref("GM", lambda _ref: False, rng=rng)
        assert normalize_ref(ref.lower()) == ref
        assert normalize_ref(ref.replace("-", ""), "GM") == ref


def test_followup_url() -> None:
    assert (
        followup_url("https://gentofte.dk/borgerkiosk/f/{ref}", "GM-7K3Q")
        == "https://gentofte.dk/borgerkiosk/f/GM-7K3Q"
    )
    assert followup_url("https://x.dk/?r={ref}&again={ref}", "GM-2345") == (
        "https://x.dk/?r=GM-2345&again=GM-2345"
    )
