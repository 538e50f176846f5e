"""``kiosk export`` and ``kiosk stats`` on a real store, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.export import export_csv
from kiosk.store import RecordStore


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def fill(data_dir: Path, make_record) -> list[dict]:
    records = [
        make_record(answers={"alder": 70, "emner": ["klima", "kultur"]}),
        make_record(completed=False, answers={"tilknytning": "bor"}),
        make_record(survey_id="koebenhavnerkonference", answers={"formaal": "=cmd|' /C calc'!A0"}),
    ]
    with RecordStore(data_dir) as store:
        store.save(records[0], contact={"name": "Ane Hansen", "email": "ane@example.dk"})
        store.save(records[1])
        store.save(records[2])
        store.mark_synced([records[1]["id"]])
    return records


def test_jsonl_is_the_stored_records_without_local_fields_or_contact(data_dir, make_record):
    records = fill(data_dir, make_record)
    code, out, _ = run("export", "--data", str(data_dir), "--format", "jsonl")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert lines[0] == records[0]
    assert "synced_at" not in lines[1]
    assert "Ane" not in out and "contact" not in out


def test_jsonl_includes_contact_only_when_asked(data_dir, make_record):
    records = fill(data_dir, make_record)
    code, out, _ = run("export", "--data", str(data_dir), "--include-contact")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert first["id"] == records[0]["id"]
    assert first["contact"] == {"name": "Ane Hansen", "email": "ane@example.dk"}
    assert "contact" not in json.loads(out.splitlines()[1])


def test_csv_has_a_column_per_question_in_survey_order(data_dir, make_record):
    fill(data_dir, make_record)
    code, out, _ = run(
        "export", "--data", str(data_dir), "--format", "csv", "--survey", "gentofte-moedes"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    header = out.splitlines()[0].split(",")
    # bundled survey order: 'tilknytning' is asked before 'emner', which comes before 'alder'
    assert header.index("tilknytning") < header.index("emner") < header.index("alder")
    assert rows[0]["emner"] == "klima;kultur"
    assert rows[0]["alder"] == "70"
    assert rows[1]["completed"] == "false"
    assert "contact_email" not in header


def test_csv_one_file_per_survey_into_a_directory(data_dir, make_record, tmp_path):
    fill(data_dir, make_record)
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    code, _, err = run("export", "--data", str(data_dir), "--format", "csv", "--out", str(out_dir))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "gentofte-moedes.csv",
        "koebenhavnerkonference.csv",
    ]
    text = (out_dir / "koebenhavnerkonference.csv").read_text(encoding="utf-8")
    # a visitor's text that a spreadsheet would run as a formula is defused
    assert "'=cmd|" in text


def test_csv_of_several_surveys_to_stdout_asks_for_a_choice(data_dir, make_record):
    fill(data_dir, make_record)
    code, out, err = run("export", "--data", str(data_dir), "--format", "csv")
    assert code == 2
    assert "--survey ID" in err and out == ""


def test_export_of_a_directory_without_data_says_so(tmp_path):
    code, _, err = run("export", "--data", str(tmp_path / "nothing"))
    assert code == 2
    assert "Error: no kiosk data" in err and "Traceback" not in err


def test_csv_keeps_danish_letters_and_emoji():
    out = io.StringIO()
    record = {
        "id": "x",
        "kind": "response",
        "answers": {"tekst": "Grønne tage på skolen 🌱"},
    }
    export_csv([record], out, ["tekst"])
    assert "Grønne tage på skolen 🌱" in out.getvalue()


def test_stats_counts_per_survey_and_kind(data_dir, make_record):
    fill(data_dir, make_record)
    code, out, _ = run("stats", "--data", str(data_dir))
    assert code == 0
    line = next(line for line in out.splitlines() if "gentofte-moedes" in line)
    cells = [cell.strip() for cell in line.split("│") if cell.strip()]
    # survey, kind, completed, partial, synced, pending, rejected, suspect
    assert cells == ["gentofte-moedes", "response", "1", "1", "1", "1", "0", "0"]
    assert "3 records, 2 waiting to sync." in out


def test_csv_into_a_directory_that_does_not_exist_yet(data_dir, make_record, tmp_path):
    """`--out results/` (as in the help's example) creates the folder, never a file 'results'."""
    fill(data_dir, make_record)
    every = tmp_path / "results"
    code, _, err = run("export", "--data", str(data_dir), "--format", "csv", "--out", f"{every}/")
    assert code == 0, err
    assert sorted(p.name for p in every.iterdir()) == [
        "gentofte-moedes.csv",
        "koebenhavnerkonference.csv",
    ]
    one = tmp_path / "one" / "deeper"
    args = ("--format", "csv", "--survey", "koebenhavnerkonference", "--out", f"{one}/")
    code, _, err = run("export", "--data", str(data_dir), *args)
    assert code == 0, err
    assert [p.name for p in one.iterdir()] == ["koebenhavnerkonference.csv"]


def test_export_of_a_survey_without_records_warns_and_keeps_the_header(data_dir, make_record):
    fill(data_dir, make_record)
    code, out, err = run(
        "export", "--data", str(data_dir), "--format", "csv", "--survey", "opgaveudvalg-borgermoede"
    )
    assert code == 0
    assert "no records of survey 'opgaveudvalg-borgermoede'" in err
    assert "gentofte-moedes, koebenhavnerkonference" in err
    header = out.splitlines()
    assert len(header) == 1 and header[0].startswith("id,kind,survey_id")
    # the bundled survey's questions are the columns, as they would be with records
    assert "rolle" in header[0].split(",")


def test_data_dir_from_option_else_environment_else_user_data_dir(
    tmp_path, make_record, monkeypatch
):
    """--data beats $KIOSK_DATA, which beats the platform's user data directory."""
    import platformdirs

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KIOSK_DATA", raising=False)
    user_dir = platformdirs.user_data_path("borgerkiosk", appauthor=False)
    assert str(user_dir).startswith(str(tmp_path))
    places = {"user": user_dir, "env": tmp_path / "env", "option": tmp_path / "option"}
    for name, path in places.items():
        with RecordStore(path) as store:
            store.save(make_record(kiosk_id=f"kiosk-{name}"))

    def kiosk_of_export(*args: str) -> str:
        code, out, err = run("export", *args)
        assert code == 0, err
        return json.loads(out)["kiosk_id"]

    assert kiosk_of_export() == "kiosk-user"
    monkeypatch.setenv("KIOSK_DATA", str(places["env"]))
    assert kiosk_of_export() == "kiosk-env"
    assert kiosk_of_export("--data", str(places["option"])) == "kiosk-option"
