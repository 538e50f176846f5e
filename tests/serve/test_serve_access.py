"""The rules of a tablet's address: the access key, the tablet's name, the text size."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.serve.access import (
    FONT_SIZES,
    KEY_LENGTH,
    font_size,
    key_matches,
    new_access_key,
    size_name,
    tablet_name_problem,
)
from kiosk.serve.server import same_origin, session_command


def test_a_new_key_each_time_long_and_easy_to_type() -> None:
    keys = {new_access_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert len(key) == KEY_LENGTH and key.isalnum() and key == key.lower()
        assert not set(key) & set("01lo")


@pytest.mark.parametrize("given", [None, "", "x", "KEY", "key ", "k\u00e9y", "ke"])
def test_only_the_exact_key_opens(given: str | None) -> None:
    assert key_matches("key", "key")
    assert not key_matches(given, "key")


@pytest.mark.parametrize("name", ["stand-1", "Stand 2", "bus(linje 1)", "Søren.k"])
def test_a_tablet_may_be_named_like_a_kiosk(name: str) -> None:
    assert tablet_name_problem(name) is None


@pytest.mark.parametrize(
    "name", [None, "", " ", "a/b", "../x", "-rf", "x" * 65, "a\u202eb", "a\nb", "<b>", "a;b"]
)
def test_a_hostile_name_is_refused_without_being_quoted(name: str | None) -> None:
    problem = tablet_name_problem(name)
    assert problem
    if name and name.strip():
        assert name not in problem


def test_text_sizes_map_to_font_sizes_and_anything_else_is_normal() -> None:
    assert font_size("large") > font_size("normal") == font_size(None) == font_size("huge")
    assert font_size("xlarge") > font_size("large")
    assert size_name("<script>") == "normal" and size_name("large") == "large"
    assert set(FONT_SIZES) == {"normal", "large", "xlarge"}


def test_the_session_command_has_no_shell_and_the_name_is_one_argument(tmp_path: Path) -> None:
    argv = session_command(tmp_path, None, [tmp_path / "a.yaml"], "stand 1")
    assert argv[1:3] == ["-m", "kiosk.serve.session"]
    assert "--kiosk=stand 1" in argv
    assert argv[argv.index("--") + 1 :] == [str(tmp_path / "a.yaml")]


class _Request:
    def __init__(self, host: str, origin: str | None) -> None:
        self.host = host
        self.headers = {} if origin is None else {"Origin": origin}


def test_only_our_own_page_may_open_a_session() -> None:
    assert same_origin(_Request("10.42.0.1:8000", "http://10.42.0.1:8000"))  # type: ignore[arg-type]
    assert not same_origin(_Request("10.42.0.1:8000", "http://evil.example"))  # type: ignore[arg-type]
    assert not same_origin(_Request("10.42.0.1:8000", "null"))  # type: ignore[arg-type]
