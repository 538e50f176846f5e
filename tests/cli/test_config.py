"""The kiosk config file and the PIN hash: round trips, flags over file, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import (
    ConfigError,
    KioskConfig,
    PinCheck,
    dump_config,
    hash_pin,
    load_config,
    stable_kiosk_id,
    verify_pin,
)


def test_pin_hash_is_salted_and_verifies() -> None:
    first, second = hash_pin("2468"), hash_pin("2468")
    assert first != second, "a random salt makes every hash different"
    assert first.startswith("scrypt$16384$8$1$")
    assert "2468" not in first
    assert verify_pin("2468", first) and verify_pin("2468", second)
    assert not verify_pin("2469", first)


@pytest.mark.parametrize(
    "stored", ["", "plain", "scrypt$1$2$3", "scrypt$x$8$1$00$00", "bcrypt$1$1$1$00$00"]
)
def test_a_malformed_hash_matches_nothing(stored: str) -> None:
    assert not verify_pin("2468", stored)


def test_config_round_trip_with_relative_paths(tmp_path: Path) -> None:
    pin_hash = hash_pin("1357")
    text = dump_config(
        {
            "kiosk_id": "gentofte-1",
            "surveys": ["surveys/a.yaml"],
            "data": "data",
            "lang": "en",
            "theme": "high-contrast",
            "idle_timeout": 60,
            "touch": True,
            "admin_pin_hash": pin_hash,
        },
        {"endpoint": "https://collector.example/api", "token_file": "token.txt", "interval": 30},
    )
    path = tmp_path / "usb" / "kiosk.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert config.kiosk_id == "gentofte-1"
    assert config.surveys == ((path.parent / "surveys" / "a.yaml").resolve(),)
    assert config.data == (path.parent / "data").resolve()
    assert (config.lang, config.theme, config.touch) == ("en", "high-contrast", True)
    assert config.idle_timeout == 60.0 and config.idle_grace == 15.0
    assert config.thanks_timeout == 15.0 and config.suspect_seconds == 3.0
    assert config.sync.endpoint == "https://collector.example/api"
    assert config.sync.token_file == (path.parent / "token.txt").resolve()
    assert config.sync.interval == 30.0
    (path.parent / "token.txt").write_text("s3cret\n", encoding="utf-8")
    assert config.sync.resolved_token() == "s3cret"
    assert verify_pin("1357", config.admin_pin_hash or "")


def test_flags_override_the_file_but_none_does_not() -> None:
    config = KioskConfig(kiosk_id="a", idle_timeout=60)
    changed = config.with_overrides(kiosk_id="b", idle_timeout=None, theme=None)
    assert changed.kiosk_id == "b" and changed.idle_timeout == 60 and changed.theme == "default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kiosk_id = ", "not valid TOML"),
        ("colour = 'red'", "unknown key 'colour'"),
        ("idle_timeout = -5", "idle_timeout must be a number of seconds above 0"),
        ("idle_timeout = 'soon'", "idle_timeout must be a number"),
        ("theme = 'pink'", "theme 'pink' is not one of default, high-contrast"),
        ("surveys = 'a.yaml'", "surveys must be a list of file paths"),
        ("touch = 'yes'", "touch must be true or false"),
        ("[sync]\nurl = 'x'", "unknown key sync.url"),
        ("[sync]\ninterval = 0", "sync.interval must be a number of seconds above 0"),
        ("kiosk_id = 5", "kiosk_id must be a text in quotes"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kiosk init"):
        load_config(tmp_path / "nope.toml")


def test_pin_check_demo_session_and_hash() -> None:
    assert PinCheck().demo
    assert PinCheck().matches("anything")
    hashed = PinCheck.from_config(KioskConfig(admin_pin_hash=hash_pin("11")), {})
    assert not hashed.demo and hashed.matches("11") and not hashed.matches("12")
    session = PinCheck.from_config(KioskConfig(), {"KIOSK_ADMIN_PIN": "77"})
    assert not session.demo and session.matches("77") and not session.matches("11")


def test_kiosk_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = stable_kiosk_id(tmp_path / "data")
    assert first.startswith("kiosk-") and len(first) == 12
    assert stable_kiosk_id(tmp_path / "data") == first
    assert stable_kiosk_id(tmp_path / "other") != first


def test_reading_a_config_does_not_import_pydantic(tmp_path: Path) -> None:
    """The kiosk's cold start reads its config before its first frame, without pydantic."""
    config = tmp_path / "kiosk.toml"
    config.write_text('kiosk_id = "k1"\n', encoding="utf-8")
    code = (
        "import sys; from kiosk.config import load_config; "
        f"load_config({str(config)!r}); print('pydantic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
