"""A kiosk on a USB stick: ``kiosk init`` writes paths relative to the config file, and the
config loader reads them against the file's folder, wherever the stick is mounted."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.app.launch import surveys_for_run
from kiosk.cli import cli
from kiosk.config import ConfigError, load_config
from kiosk.paths import DEFAULT_SURVEY, SURVEYS_DIR


def test_a_config_moved_with_its_folder_still_finds_surveys_and_data(tmp_path: Path) -> None:
    stick = tmp_path / "media" / "usb"
    (stick / "surveys").mkdir(parents=True)
    survey = stick / "surveys" / "gentofte.yaml"
    shutil.copy(DEFAULT_SURVEY, survey)
    out = stick / "kiosk" / "kiosk.toml"  # the survey is beside, not under, the config
    args = ["init", "-o", str(out), "--kiosk-id", "stick-1", "--survey", str(survey)]
    args += ["--no-pin", "--data", str(stick / "data"), "--lang", "en", "--touch"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert str(tmp_path) not in text  # no absolute path of where the stick was
    assert '"../surveys/gentofte.yaml"' in text  # relative to the config, as written
    assert 'data = "../data"' in text and "touch = true" in text and 'lang = "en"' in text

    moved = tmp_path / "run" / "media" / "sdb1"
    moved.parent.mkdir(parents=True)
    os.rename(stick, moved)  # the stick, mounted somewhere else
    config = load_config(moved / "kiosk" / "kiosk.toml")
    assert config.surveys == ((moved / "surveys" / "gentofte.yaml").resolve(),)
    assert config.data == (moved / "data").resolve()
    assert (config.lang, config.touch, config.kiosk_id) == ("en", True, "stick-1")
    (loaded,) = surveys_for_run(list(config.surveys), config.data)
    assert loaded.languages[:2] == ["da", "en"]


def test_a_config_named_relative_to_the_working_folder_reads_paths_from_its_own_folder(
    tmp_path: Path,
) -> None:
    stick = tmp_path / "stick"
    (stick / "surveys").mkdir(parents=True)
    shutil.copy(DEFAULT_SURVEY, stick / "surveys" / "s.yaml")
    (stick / "kiosk.toml").write_text(
        'surveys = ["surveys/s.yaml"]\ndata = "d"\ntouch = true\n', encoding="utf-8"
    )
    here = Path.cwd()
    os.chdir(tmp_path)  # "kiosk run --config stick/kiosk.toml" from the stick's parent
    try:
        config = load_config(Path("stick") / "kiosk.toml")
    finally:
        os.chdir(here)
    assert config.surveys == ((stick / "surveys" / "s.yaml").resolve(),)
    assert config.data == (stick / "d").resolve() and config.touch is True


def test_kiosk_run_from_a_moved_stick_in_a_terminal_is_a_touch_kiosk_saving_on_the_stick(
    tmp_path: Path,
) -> None:
    """The whole way: ``kiosk init --touch`` on the stick, the stick moved, ``kiosk run
    --config`` in tmux; ``--no-touch`` on the command line wins over the file."""
    import sys

    from helpers.terminal import Terminal, kiosk_env
    from kiosk.store import RecordStore

    stick = tmp_path / "usb"
    stick.mkdir()
    shutil.copy(DEFAULT_SURVEY, stick / "survey.yaml")
    args = ["init", "-o", str(stick / "kiosk.toml"), "--kiosk-id", "stick-2", "--no-pin"]
    args += ["--survey", str(stick / "survey.yaml"), "--data", str(stick / "data")]
    args += ["--lang", "da", "--touch"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    moved = tmp_path / "mnt" / "usb"
    moved.parent.mkdir()
    os.rename(stick, moved)
    env = kiosk_env(tmp_path)
    command = f"{sys.executable} -m kiosk run --config {moved / 'kiosk.toml'}"
    terminal = Terminal(command, env)
    try:
        terminal.wait_for("Tryk på en knap for at begynde")  # touch, from the config
        terminal.keys("1")
        terminal.wait_for("Tilbage")  # the first step of the survey
        terminal.keys("Escape")
        terminal.wait_for("Tryk på en knap for at begynde")
        terminal.keys("C-o")
        terminal.wait_for("DEMO-tilstand")
        terminal.keys("q")
        terminal.wait_for("KIOSK-EXITED-0")
    finally:
        terminal.close()
    assert (moved / "data" / "kiosk-run.log").exists()  # the data directory on the stick
    with RecordStore(moved / "data") as store:
        assert len(store) == 0
    terminal = Terminal(f"{command} --no-touch", env)
    try:
        terminal.wait_for("brug tallene på tastaturet")  # the flag wins over the file
    finally:
        terminal.close()


def test_init_with_the_bundled_survey_names_it_so_an_upgrade_does_not_break_the_config(
    tmp_path: Path,
) -> None:
    """The bundled survey's folder is inside the installed package, which an upgrade, a new
    Python or a moved virtualenv moves: the config names it, not the folder it was in."""
    out = tmp_path / "kiosk" / "kiosk.toml"
    args = ["init", "-o", str(out), "--kiosk-id", "k-1", "--no-pin", "--lang", "da"]
    args += ["--data", str(tmp_path / "data"), "--no-touch"]
    result = CliRunner().invoke(cli, args, input="\n")  # the prompt's default survey
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert tomllib.loads(text)["surveys"] == ["bundled:gentofte-moedes.yaml"]
    assert str(SURVEYS_DIR) not in text and "surveys/gentofte" not in text
    moved = tmp_path / "elsewhere" / "kiosk.toml"
    moved.parent.mkdir()
    os.rename(out, moved)
    assert load_config(moved).surveys == (DEFAULT_SURVEY,)

    named = tmp_path / "named.toml"  # given by that name on the command line too
    args = ["init", "-o", str(named), "--kiosk-id", "k-2", "--no-pin", "--lang", "da"]
    args += ["--data", str(tmp_path / "data"), "--no-touch"]
    args += ["--survey-file", "bundled:opgaveudvalg-borgermoede.yaml"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert load_config(named).surveys == (SURVEYS_DIR / "opgaveudvalg-borgermoede.yaml",)


def test_a_config_naming_no_bundled_survey_lists_the_bundled_ones(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    for name in ("nope.yaml", "../pyproject.toml", ""):
        config.write_text(f'surveys = ["bundled:{name}"]\n', encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_config(config)
        message = str(caught.value)
        assert f"{config}: surveys: no bundled survey {name!r}" in message
        assert "bundled:gentofte-moedes.yaml" in message


def test_an_old_config_with_the_bundled_survey_as_an_absolute_path_still_loads(
    tmp_path: Path,
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f"surveys = [{str(DEFAULT_SURVEY)!r}]\n", encoding="utf-8")
    assert load_config(config).surveys == (DEFAULT_SURVEY,)
