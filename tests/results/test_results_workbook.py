"""``kiosk export --format xlsx`` and the Danish-Excel CSV, read back as a person's tools would."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from helpers.results_event import FORMULA, KIOSKS, SCRIPT_TITLE, V2_FESTIVAL, expected, make_event
from kiosk.cli import cli
from kiosk.store import RecordStore

OPGAVEUDVALG = (
    "Vil du være med i et opgaveudvalg? Det er 10 borgere og 5 politikere, der løser en opgave."
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def stored_event(tmp_path: Path) -> tuple[list[dict], list[Path], Path]:
    records, files = make_event(tmp_path)
    data_dir = tmp_path / "data"
    with RecordStore(data_dir) as store:
        for record in records:
            contact = {"name": "Ane Hansen", "email": "ane@example.dk"}
            store.save(record, contact=contact if record.get("ref") == "GM-0001" else None)
    return records, files, data_dir


def export_xlsx(tmp_path: Path, *extra: str) -> tuple[Path, list[dict]]:
    records, files, data_dir = stored_event(tmp_path)
    out = tmp_path / "out" / "resultater.xlsx"
    args = ["export", "--data", str(data_dir), "--format", "xlsx", "--out", str(out)]
    for path in files:
        args += ["--survey-file", str(path)]
    code, _, err = run(*args, *extra)
    assert code == 0, err
    assert not [p for p in out.parent.iterdir() if p.name != out.name]  # no temp file left
    return out, records


def test_workbook_numbers_equal_the_hand_count(tmp_path: Path) -> None:
    out, records = export_xlsx(tmp_path)
    want = expected(records)
    book = load_workbook(out)
    assert book.sheetnames == ["Svar", "Idékort", "Kodebog", "Om udtrækket"]
    sheet = book["Svar"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == want["visitors"]
    col = {name: i for i, name in enumerate(header)}
    # the question text of the newest version heads the column, in Danish
    assert V2_FESTIVAL in col and "Hvad er din tilknytning til Gentofte?" in col
    tilknytning = [r[col["Hvad er din tilknytning til Gentofte?"]] for r in body]
    assert tilknytning.count("Jeg bor her") == want["tilknytning"]["bor"]
    emner = "Hvilke emner betyder mest for dig? Vælg op til 3."
    assert (
        sum(r[col[f"{emner}: Klima og grønne områder"]] or 0 for r in body)
        == (want["emner"]["klima-groent"])
    )
    joined = [r[col[emner]] for r in body if r[col[emner]]]
    assert sum("Klima og grønne områder" in j for j in joined) == want["emner"]["klima-groent"]
    festival = [r[col[V2_FESTIVAL]] for r in body if r[col[V2_FESTIVAL]] is not None]
    assert sorted(festival) == sorted(want["festival_values"])
    assert all(isinstance(v, int) for v in festival)
    yes_no = [r[col[OPGAVEUDVALG]] for r in body]
    assert yes_no.count("Ja") == want["opgaveudvalg"]["yes"]
    assert [r[col["Gennemført"]] for r in body].count("Ja") == want["completed"]
    started = body[0][col["Start"]]
    assert isinstance(started, datetime) and started.tzinfo is None
    assert sum(r[col["Kiosk"]] == KIOSKS[0] for r in body) == sum(
        r["kiosk_id"] == KIOSKS[0] and r["kind"] == "response" and not r["suspect"] for r in records
    )
    # visitor text that looks like a formula stays text
    kommentar = [r[col["Er der andet, du vil sige til politikerne?"]] for r in body]
    assert FORMULA in kommentar
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"


def test_idea_sheet_is_sorted_by_theme_and_keeps_hostile_text_as_text(tmp_path: Path) -> None:
    out, records = export_xlsx(tmp_path)
    want = expected(records)
    sheet = load_workbook(out)["Idékort"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == want["ideas"]
    themes = [r[header.index("Tema")] for r in body]
    order = ["Ældre", "Klima og grønne områder", "Trafik og byrum"]  # the survey's order
    assert themes == sorted(themes, key=order.index)
    assert SCRIPT_TITLE in [r[header.index("Overskrift")] for r in body]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == FORMULA]
    assert cells and all(c.data_type == "s" for c in cells)


def test_codebook_about_and_contacts_only_when_asked(tmp_path: Path) -> None:
    out, records = export_xlsx(tmp_path / "a")
    book = load_workbook(out)
    codebook = list(book["Kodebog"].iter_rows(values_only=True))
    assert codebook_row(codebook, 2) == ("gentofte-moedes", 2, "emner", "multiple_choice")
    about = dict(book["Om udtrækket"].iter_rows(values_only=True))
    assert about["Besøg talt med"] == expected(records)["visitors"]
    assert about["For hurtig"] == expected(records)["suspect"]
    assert about[V2_FESTIVAL] == "Spørgsmålets tekst var anderledes i version 1."
    assert "Ane" not in str(list(book["Idékort"].values))
    out, _ = export_xlsx(tmp_path / "b", "--include-contact", "--lang", "en")
    book = load_workbook(out)
    assert book.sheetnames[-1] == "Contacts"
    contact_rows = list(book["Contacts"].iter_rows(values_only=True))
    assert len(contact_rows) == 2 and "ane@example.dk" in contact_rows[1]
    assert "What is your connection to Gentofte?" in next(book["Responses"].values)


def codebook_row(rows: list[tuple], version: int) -> tuple:
    return next(r[:4] for r in rows if r[1] == version and r[2] == "emner")


def test_csv_for_danish_excel_has_bom_semicolons_and_labels(tmp_path: Path) -> None:
    records, files, data_dir = stored_event(tmp_path)
    out = tmp_path / "svar.csv"
    code, _, err = run(
        "export",
        "--data",
        str(data_dir),
        "--format",
        "csv",
        "--dialect",
        "excel",
        "--labels",
        "--survey-file",
        str(files[0]),
        "--survey-file",
        str(files[1]),
        "--out",
        str(out),
    )
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == len(records)
    assert sum(r["tilknytning"] == "Jeg bor her" for r in rows) == sum(
        r["answers"].get("tilknytning") == "bor" for r in records
    )
    assert "Ja" in {r["opgaveudvalg"] for r in rows}
    assert "Ældre" in {r["idea_theme"] for r in rows}
    assert "'" + FORMULA in {r["kommentar"] for r in rows}


def test_filters_reach_the_workbook_and_are_named_in_om_udtraekket(tmp_path: Path) -> None:
    out, records = export_xlsx(tmp_path, "--kiosk", KIOSKS[1], "--no-partial", "--include-suspect")
    book = load_workbook(out)
    body = list(book["Svar"].iter_rows(values_only=True))[1:]
    want = [
        r
        for r in records
        if r["kind"] == "response"
        and r["kiosk_id"] == KIOSKS[1]
        and (r["completed"] or r["suspect"])
    ]
    assert len(body) == len(want)
    about = dict(book["Om udtrækket"].iter_rows(values_only=True))
    assert about["Filtre: Kiosker"] == KIOSKS[1]
    assert about["Filtre: Afbrudt"] == "Nej" and about["Filtre: For hurtig"] == "Ja"
