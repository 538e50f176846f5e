"""``kiosk run``, ``kiosk init`` and ``kiosk simulate`` as an organiser uses them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.config import load_config, verify_pin
from kiosk.paths import DEFAULT_SURVEY, PROJECT_ROOT
from kiosk.store import RecordStore


def test_run_with_a_broken_survey_lists_problems_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: Not A Slug\nversion: 0\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(broken), "--data", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{broken}:1: id:" in result.output
    assert "title: is required but missing" in result.output


def test_run_with_a_broken_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("idle_timeout = 'soon'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--config", str(config)])
    assert result.exit_code == 1
    assert "idle_timeout must be a number" in result.output


def test_init_from_flags_writes_a_loadable_config(tmp_path: Path) -> None:
    out = tmp_path / "kiosk.toml"
    args = ["init", "-o", str(out), "--kiosk-id", "stand-1", "--survey", str(DEFAULT_SURVEY)]
    args += ["--pin", "8642", "--theme", "high-contrast", "--idle-timeout", "45"]
    args += ["--data", str(tmp_path / "data"), "--lang", "en", "--no-touch"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "8642" not in out.read_text(encoding="utf-8")
    config = load_config(out)
    assert config.kiosk_id == "stand-1" and config.theme == "high-contrast"
    assert config.surveys == (DEFAULT_SURVEY.resolve(),)
    assert config.idle_timeout == 45.0
    assert verify_pin("8642", config.admin_pin_hash or "")
    again = CliRunner().invoke(cli, ["init", "-o", str(out), "--kiosk-id", "x", "--no-pin"])
    assert again.exit_code == 1 and "--force" in again.output


def test_init_asks_what_is_missing_and_the_pin_twice(tmp_path: Path) -> None:
    out = tmp_path / "kiosk.toml"
    answers = "stand-2\n" + f"{DEFAULT_SURVEY}\n" + "\n" + "en\n" + "y\n"
    answers += "1111\n2222\n" + "1234\n1234\n"
    result = CliRunner().invoke(cli, ["init", "-o", str(out)], input=answers)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    config = load_config(out)
    assert config.kiosk_id == "stand-2"
    # every setting asked for is written: the data folder (beside the config), lang, touch
    assert config.data == tmp_path / "kiosk-data"
    assert (config.lang, config.touch) == ("en", True)
    assert verify_pin("1234", config.admin_pin_hash or "")


def test_init_without_pin_is_demo(tmp_path: Path) -> None:
    out = tmp_path / "kiosk.toml"
    args = ["init", "-o", str(out), "--kiosk-id", "d", "--no-pin"]
    # the survey, data, language and touch questions: each its default
    result = CliRunner().invoke(cli, args, input="\n\n\n\n")
    assert result.exit_code == 0, result.output
    assert "DEMO" in result.output
    assert load_config(out).surveys == (DEFAULT_SURVEY.resolve(),)
    assert load_config(out).admin_pin_hash is None


def test_simulate_drives_the_real_app_and_prints_each_saved_record(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "kiosk", "simulate", "--data", str(data)]
    command += ["--visitors", "4", "--seed", "7", "--abandon", "0.5"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    saved = [line.split(" ", 1)[1] for line in lines if line.startswith("saved ")]
    assert "p50" in lines[-1] and "p99" in lines[-1]
    assert "visitors 4" in done.stdout
    with RecordStore(data) as store:
        stored = {r["id"]: r for r in store.records()}
    assert sorted(saved) == sorted(stored)
    assert 1 <= len(saved) <= 4
    for record in stored.values():
        assert record["kiosk_id"].startswith("rehearsal-")  # recognisable everywhere
        assert record["survey_id"] == "gentofte-moedes"
        if record["completed"]:
            assert "tilknytning" in record["answers"]  # required: always answered


def test_a_survey_that_validated_before_is_previewed_and_a_changed_one_checked_again(
    tmp_path: Path,
) -> None:
    import pytest

    from kiosk.app.launch import LaunchError, surveys_for_run
    from kiosk.app.survey_preview import SurveyPreview

    survey = tmp_path / "s.yaml"
    survey.write_text(DEFAULT_SURVEY.read_text(encoding="utf-8"), encoding="utf-8")
    data = tmp_path / "data"
    (first,) = surveys_for_run([survey], data)
    assert not isinstance(first, SurveyPreview), "a new file is validated in full"
    (second,) = surveys_for_run([survey], data)
    assert isinstance(second, SurveyPreview)
    assert (second.title, second.intro, second.languages) == (
        first.title,
        first.intro,
        first.languages,
    )
    assert second.load() == first
    survey.write_text("id: Broken\n", encoding="utf-8")  # changed since: checked again
    with pytest.raises(LaunchError) as stopped:
        surveys_for_run([survey], data)
    assert "s.yaml" in str(stopped.value)  # the validator's problems, naming the file


def test_the_app_draws_from_a_preview_and_loads_the_survey_after(tmp_path: Path) -> None:
    import asyncio

    from kiosk.app.launch import build_app, surveys_for_run
    from kiosk.app.screens.question import QuestionScreen
    from kiosk.config import KioskConfig

    data = tmp_path / "data"
    surveys_for_run([DEFAULT_SURVEY], data)
    previews = surveys_for_run([DEFAULT_SURVEY], data)
    app = build_app(KioskConfig(kiosk_id="p"), previews, data, open_store_later=True)

    async def drive() -> None:
        async with app.run_test() as pilot:
            await pilot.pause()
            assert not hasattr(app.surveys[0], "load"), "warm-up after the first screen"
            await pilot.press("1")
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)
            assert app.store.data_dir == data

    try:
        asyncio.run(drive())
    finally:
        app.close_store()
