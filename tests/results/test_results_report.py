"""``kiosk report`` as a person would read it: rendered by Debian's chromium, printed to PDF.

Chromium is the system one (``/usr/bin/chromium``, installed by scripts/test when missing),
driven by Playwright with ``executable_path``: no browser is downloaded.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image
from playwright.sync_api import sync_playwright

from helpers.results_event import (
    FORMULA,
    KIOSKS,
    SCRIPT_TITLE,
    V1_FILE,
    V2_FESTIVAL,
    expected,
    make_event,
)
from kiosk.cli import cli
from kiosk.store import RecordStore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def write_report(tmp_path: Path, *extra: str) -> tuple[Path, list[dict[str, Any]]]:
    """The event stored on two kiosks' disks (one data directory each), and its report."""
    records, files = make_event(tmp_path)
    args = ["report"]
    for kiosk in KIOSKS:
        with RecordStore(tmp_path / kiosk) as store:
            for record in records:
                if record["kiosk_id"] == kiosk:
                    store.save(record)
        args += ["--data", str(tmp_path / kiosk)]
    for path in files:
        args += ["--survey-file", str(path)]
    out = tmp_path / "rapport.html"
    result = CliRunner().invoke(cli, [*args, *extra, "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out, records


@pytest.fixture(scope="module")
def browser() -> Any:
    assert Path(CHROMIUM).exists(), (
        "chromium is missing: scripts/test installs it (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def test_the_file_is_self_contained_and_escapes_visitor_text(tmp_path: Path) -> None:
    out, _ = write_report(tmp_path)
    html = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert html.count("<svg") >= 8  # the charts are inline


def test_the_survey_intro_with_its_principles_is_under_the_title(tmp_path: Path) -> None:
    """The six principles of "Vi skaber sammen" left the idea themes for the intro (issue 9
    section 6); the organiser's report shows the intro, so the principles are there too."""
    out, _ = write_report(tmp_path)
    html = out.read_text(encoding="utf-8")
    (intro,) = re.findall(r'<p class="intro">(.*?)</p>', html, re.DOTALL)
    assert intro.startswith("Fortæl os, hvad der er vigtigt for dig i Gentofte.")
    assert "vi lytter først, bygger bro, skaber fremdrift" in intro
    assert html.index("<h2>Gentofte Mødes</h2>") < html.index('<p class="intro">')


def test_chromium_shows_the_hand_counted_numbers_and_never_runs_an_idea(
    tmp_path: Path, browser: Any
) -> None:
    out, records = write_report(tmp_path)
    want = expected(records)
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(out.as_uri())

    shot = Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("L")
    levels = shot.histogram()  # pixels per grey level 0-255
    assert sum(levels[:128]) > shot.width * shot.height * 0.01, "the report rendered blank"
    assert sum(1 for count in levels if count) > 20

    def figure(selector: str) -> str:
        return page.locator(selector).first.inner_text().strip()

    survey = '.key-figures[data-survey="gentofte-moedes"]'
    for name in ("visitors", "completed", "partial", "suspect", "ideas"):
        assert figure(f'{survey} [data-figure="{name}"]') == str(want[name]), name
    for question, counts in (("tilknytning", want["tilknytning"]), ("emner", want["emner"])):
        block = f'.question[data-question="{question}"]'
        assert figure(f'{block} [data-figure="shown"]') == str(want["shown"][question])
        for choice, count in counts.items():
            assert figure(f'{block} tr[data-choice="{choice}"] [data-figure="count"]') == str(count)
    festival = '.question[data-question="festival"]'
    assert V2_FESTIVAL in figure(f"{festival} h3")
    skipped = want["shown"]["festival"] - want["answered"]["festival"]
    assert figure(f'{festival} [data-figure="skipped"]') == str(skipped)
    mean = sum(want["festival_values"]) / len(want["festival_values"])
    assert figure(f'{festival} [data-figure="mean"]') == f"{mean:.2f}".replace(".", ",")
    for kiosk in KIOSKS:
        assert figure(f'[data-kiosk="{kiosk}"]') == str(want["per_kiosk"][kiosk])

    body = page.inner_text("body")
    assert SCRIPT_TITLE in body  # shown as the text the visitor typed
    assert FORMULA in body
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.scripts.length") == 0
    assert dialogs == []
    page.close()


def test_printed_to_pdf_the_page_count_is_sane(tmp_path: Path, browser: Any) -> None:
    out, _ = write_report(tmp_path, "--lang", "en")
    page = browser.new_page()
    page.goto(out.as_uri())
    assert "What is your connection to Gentofte?" in page.inner_text("body")
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    # a front page, about a page per two questions, ideas and the day: never 1, never 50
    assert 4 <= pages <= 30, pages


def test_a_missing_survey_version_is_named_and_the_report_still_made(tmp_path: Path) -> None:
    records, _ = make_event(tmp_path)
    with RecordStore(tmp_path / "data") as store:
        for record in records:
            store.save(record)
    out = tmp_path / "r.html"
    # only the bundled surveys: version 2 (the reworded festival question) is unknown
    result = CliRunner().invoke(
        cli, ["report", "--data", str(tmp_path / "data"), "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert "no definition of gentofte-moedes version 2" in result.stderr
    html = out.read_text(encoding="utf-8")
    assert "definition mangler" in html
    assert "Hvad er din tilknytning til Gentofte?" in html


def test_bad_input_gets_one_line_not_a_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["report", "--data", str(tmp_path / "nope"), "-o", "x.html"])
    assert missing.exit_code == 2 and "Error: no kiosk data in" in missing.stderr
    assert "Traceback" not in missing.output
    dates = runner.invoke(
        cli,
        [
            *("report", "--data", str(tmp_path), "-o", "x.html"),
            *("--from", "2026-09-06", "--to", "2026-09-05"),
        ],
    )
    assert dates.exit_code == 2 and "--from is after --to" in dates.stderr
    xlsx = runner.invoke(cli, ["export", "--data", str(tmp_path), "--format", "xlsx"])
    assert xlsx.exit_code == 2 and "needs a file name" in xlsx.stderr


def test_the_kiosk_never_imports_the_report_libraries() -> None:
    code = (
        "import sys, kiosk.cli.data_commands, kiosk.cli.report_command, kiosk.results;"
        "import kiosk.results.report, kiosk.results.charts;"
        "heavy = [m for m in ('matplotlib', 'jinja2', 'openpyxl') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_chart_labels_from_the_data_are_escaped() -> None:
    from kiosk.results import charts

    # a label can come from the data (a question of an unknown version shows raw answers)
    svg = charts.bar_chart(["<script>alert(1)</script> & $x$"], [3], [0.5])
    assert "<script" not in svg and "&lt;script&gt;" in svg
    hours = charts.hours_chart({'kiosk"><img src=x onerror=alert(1)>': [1] * 24})
    assert "<img" not in hours


class _Counts(HTMLParser):
    """(question id, row label) -> count, from the report's tables."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[tuple[str, str], int] = {}
        self.question = ""
        self.cells: list[str] | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "div" and found.get("class") == "question":
            self.question = found.get("data-question") or ""
        elif tag == "tr" and "data-choice" in found:
            self.cells = []
        elif tag == "td" and self.cells is not None:
            self.text = ""

    def handle_data(self, data: str) -> None:
        self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cells is not None:
            self.cells.append(self.text.strip())
        elif tag == "tr" and self.cells is not None:
            self.counts[(self.question, self.cells[0])] = int(self.cells[1])
            self.cells = None


def test_the_report_and_the_workbook_agree_on_every_choice(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out, records = write_report(tmp_path)
    parser = _Counts()
    parser.feed(out.read_text(encoding="utf-8"))
    # the same records in one data directory, exported as a workbook
    merged = tmp_path / "merged"
    with RecordStore(merged) as store:
        for record in records:
            store.save(record)
    book_path = tmp_path / "svar.xlsx"
    args = ["export", "--data", str(merged), "--format", "xlsx", "--out", str(book_path)]
    files = [tmp_path / "gentofte-moedes-v2.yaml", V1_FILE]
    for path in files:
        args += ["--survey-file", str(path)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = list(load_workbook(book_path)["Svar"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    texts = {
        "tilknytning": "Hvad er din tilknytning til Gentofte?",
        "opgaveudvalg-emne": "Hvilket emne vil du helst arbejde med i et opgaveudvalg?",
        "emner": "Hvilke emner betyder mest for dig? Vælg op til 3.",
    }
    compared = 0
    for (question, label), count in parser.counts.items():
        if question in ("tilknytning", "opgaveudvalg-emne"):
            column = header.index(texts[question])
            assert sum(r[column] == label for r in body) == count, (question, label)
            compared += 1
        elif question == "emner":
            column = header.index(f"{texts[question]}: {label}")
            assert sum(r[column] or 0 for r in body) == count, (question, label)
            compared += 1
    assert compared == 4 + 5 + 6
