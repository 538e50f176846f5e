"""One consistent CLI: safe kiosk ids, safe rehearsals, one spelling per option, configs
written so that they always load (issue 11)."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.config import load_config, verify_pin
from kiosk.paths import DEFAULT_SURVEY
from kiosk.store import RecordStore


def init(tmp_path: Path, *args: str, input: str | None = None, env: dict | None = None):
    out = tmp_path / "kiosk.toml"
    base = ["init", "-o", str(out), "--survey-file", str(DEFAULT_SURVEY), "--no-touch"]
    base += ["--data", str(tmp_path / "data"), "--lang", "da"]
    result = CliRunner().invoke(cli, [*base, *args], input=input, env=env or {})
    return out, result


def test_init_proposes_a_kiosk_id_of_its_own_each_time(tmp_path: Path) -> None:
    ids = set()
    for n in range(3):
        folder = tmp_path / str(n)
        folder.mkdir()
        out, result = init(folder, "--no-pin", input="\n")  # accept the proposed id
        assert result.exit_code == 0, result.output
        kiosk_id = load_config(out).kiosk_id or ""
        assert re.fullmatch(r"kiosk-[a-z2-9]{6}", kiosk_id), kiosk_id
        ids.add(kiosk_id)
    assert len(ids) == 3


def test_odd_characters_are_written_so_the_config_reads_back(tmp_path: Path) -> None:
    survey = tmp_path / 'spørg "os" \\ nu.yaml'
    survey.write_text(DEFAULT_SURVEY.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "kiosk.toml"
    args = ["init", "-o", str(out), "--kiosk-id", "stand 1", "--survey-file", str(survey)]
    args += ["--data", str(tmp_path / "data"), "--lang", "da", "--no-touch", "--no-pin"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert load_config(out).surveys == (survey.resolve(),)


def test_a_config_that_would_not_load_is_never_left_behind(tmp_path: Path) -> None:
    out, result = init(tmp_path, "--kiosk-id", "k1", "--no-pin",
                       "--endpoint", "http://collector.example.dk")  # fmt: skip
    assert result.exit_code == 1
    assert "not written" in result.output and "unencrypted" in result.output
    assert not out.exists()
    assert list(tmp_path.glob(".kiosk.toml*")) == []  # no temporary file either


def test_a_survey_that_would_not_start_the_kiosk_is_not_written_into_a_config(
    tmp_path: Path,
) -> None:
    """The same loader as kiosk run: a missing or broken survey file is named, nothing is
    written, and neither is a data directory under a file (it could never be made)."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\n", encoding="utf-8")
    for survey in (tmp_path / "missing.yaml", broken):
        out = tmp_path / "kiosk.toml"
        args = ["init", "-o", str(out), "--kiosk-id", "k1", "--survey-file", str(survey)]
        args += ["--data", str(tmp_path / "data"), "--lang", "da", "--no-touch", "--no-pin"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert f"Error: {survey}:1:" in result.output and not out.exists()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    out, result = init(tmp_path, "--kiosk-id", "k1", "--no-pin", "--data",
                       str(tmp_path / "a-file" / "data"))  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "a-file is a file, not a folder" in result.output and not out.exists()


def test_a_kiosk_id_with_a_line_break_is_refused(tmp_path: Path) -> None:
    out, result = init(tmp_path, "--kiosk-id", "stand\n1", "--no-pin")
    assert result.exit_code != 0
    assert "Error" in result.output and not out.exists()


def test_pin_on_the_command_line_warns_and_the_environment_is_read(tmp_path: Path) -> None:
    out, result = init(tmp_path, "--kiosk-id", "k1", "--pin", "2468")
    assert result.exit_code == 0
    assert "shell history" in result.output
    other = tmp_path / "env"
    other.mkdir()
    out, result = init(other, "--kiosk-id", "k2", env={"KIOSK_ADMIN_PIN": "1357"})
    assert result.exit_code == 0, result.output
    assert "shell history" not in result.output
    assert verify_pin("1357", load_config(out).admin_pin_hash or "")


@pytest.mark.parametrize(
    ("new", "old"),
    [("--survey-file", "--survey"), ("--endpoint", "--sync-endpoint"),
     ("--token-file", "--sync-token-file"), ("--out", "--output")],
)  # fmt: skip
def test_one_spelling_shown_and_the_old_one_still_works(tmp_path: Path, new: str, old: str) -> None:
    shown = CliRunner().invoke(cli, ["init", "--help"]).output
    assert new in shown
    assert re.search(rf"{re.escape(old)}\b(?!-)", shown.replace(new, "")) is None
    values = {
        "--survey-file": str(DEFAULT_SURVEY),
        "--endpoint": "http://127.0.0.1:9",
        "--token-file": str(tmp_path / "token"),
        "--out": str(tmp_path / "old.toml"),
    }
    out = tmp_path / "old.toml"
    args = ["init", "--kiosk-id", "k1", "--no-pin", "--no-touch", "--lang", "da"]
    args += ["--data", str(tmp_path / "data")]
    if new != "--out":
        args += ["-o", str(out)]
    if new != "--survey-file":
        args += ["--survey-file", str(DEFAULT_SURVEY)]
    result = CliRunner().invoke(cli, [*args, old, values[new]])
    assert result.exit_code == 0, result.output
    config = load_config(out)
    if new == "--endpoint":
        assert config.sync.endpoint == "http://127.0.0.1:9"
    if new == "--token-file":
        assert config.sync.token_file == (tmp_path / "token").resolve()


def test_simulate_refuses_without_its_own_data_directory(tmp_path: Path) -> None:
    event = tmp_path / "event-data"
    result = CliRunner().invoke(
        cli, ["simulate", "--visitors", "1"], env={"KIOSK_DATA": str(event)}
    )
    assert result.exit_code == 1
    assert "--data" in result.output
    assert not event.exists()  # the event's data directory is never touched
    same = CliRunner().invoke(
        cli, ["simulate", "--data", str(event), "--visitors", "1"], env={"KIOSK_DATA": str(event)}
    )
    assert same.exit_code == 1 and not event.exists()
    # the same folder by another spelling of its path
    relative = CliRunner().invoke(
        cli, ["simulate", "--data", os.path.relpath(event), "--visitors", "1"],
        env={"KIOSK_DATA": str(event)},
    )  # fmt: skip
    assert relative.exit_code == 1 and not event.exists()


def test_simulate_refuses_a_folder_holding_an_events_records(tmp_path: Path) -> None:
    from helpers.collector import fill

    event = tmp_path / "usb-kiosk-1"
    fill(event, "stand-1", 2)
    before = sorted((p.name, p.stat().st_size) for p in (event / "store").iterdir())
    result = CliRunner().invoke(cli, ["simulate", "--data", str(event), "--visitors", "1"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "stand-1" in result.output
    assert sorted((p.name, p.stat().st_size) for p in (event / "store").iterdir()) == before
    rehearsal = tmp_path / "rehearsal"  # a rehearsal folder is used again without a fuss
    for _ in range(2):
        again = CliRunner().invoke(
            cli, ["simulate", "--data", str(rehearsal), "--visitors", "1", "--seed", "2"]
        )
        assert again.exit_code == 0, again.output


def test_simulated_records_are_recognisable_as_a_rehearsal(tmp_path: Path) -> None:
    data = tmp_path / "rehearsal"
    result = CliRunner().invoke(
        cli, ["simulate", "--data", str(data), "--visitors", "2", "--seed", "3",
              "--abandon", "0", "--kiosk-id", "stand-x"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with RecordStore(data) as store:
        kiosk_ids = {r["kiosk_id"] for r in store.records()}
    assert kiosk_ids == {"rehearsal-stand-x"}
    # and in an export, as every record of it shows its kiosk id
    out = tmp_path / "csv"
    exported = CliRunner().invoke(
        cli, ["export", "--data", str(data), "--format", "csv", "--out", f"{out}/"]
    )
    assert exported.exit_code == 0, exported.output
    (table,) = out.glob("*.csv")
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert rows and {row["kiosk_id"] for row in rows} == {"rehearsal-stand-x"}


def _collector_with(tmp_path: Path, records: list[dict]) -> Path:
    from kiosk.collector.storage import CollectorStorage

    db = tmp_path / "collector.db"
    storage = CollectorStorage(db)
    storage.store_batch([(r["id"], r) for r in records])
    storage.close()
    return db


def test_collector_export_into_a_folder_in_survey_order(tmp_path: Path) -> None:
    from helpers.collector import kiosk_record

    survey = tmp_path / "custom.yaml"
    survey.write_text(
        "id: custom\nversion: 1\nlanguages: [da]\ntitle: {da: T}\nintro: {da: I}\n"
        "thanks: {da: Tak}\nquestions:\n"
        "  - {id: zulu, type: yes_no, text: {da: Z}}\n"
        "  - {id: alfa, type: yes_no, text: {da: A}}\n",
        encoding="utf-8",
    )
    records = [
        kiosk_record("k1", 1, survey_id="custom", answers={"alfa": True, "zulu": False}),
        kiosk_record("k1", 2),  # the bundled Gentofte survey
    ]
    db = _collector_with(tmp_path, records)
    folder = tmp_path / "results"
    result = CliRunner().invoke(
        cli, ["collector", "export", "--db", str(db), "--format", "csv",
              "--out", f"{folder}/", "--survey-file", str(survey)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["custom.csv", "gentofte-moedes.csv"]
    header = (folder / "custom.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header.index("zulu") < header.index("alfa")  # the survey's order, not A-Z
    gentofte = (folder / "gentofte-moedes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert gentofte.index("tilknytning") < gentofte.index("emner") < gentofte.index("alder")


def test_stats_as_json_names_kiosk_ids_and_rehearsal_records(tmp_path: Path) -> None:
    import json

    from helpers.collector import fill

    data = tmp_path / "data"
    fill(data, "stand-1", 3)
    fill(data, "rehearsal-abc123", 2)
    result = CliRunner().invoke(cli, ["stats", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["records"] == 5
    assert figures["kiosk_ids"] == {"rehearsal-abc123": 2, "stand-1": 3}
    assert figures["rehearsal_records"] == 2
    assert sum(row["completed"] for row in figures["surveys"]) == 5
    shown = CliRunner().invoke(cli, ["stats", "--data", str(data)]).output
    assert "2 of them are rehearsal records" in " ".join(shown.split())
