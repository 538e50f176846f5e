"""The built wheel, installed into a fresh virtual environment outside the checkout, works.

Everything the program reads at run time must ship inside the package: this test builds
the wheel, installs it (not editable) into a new venv in a temporary folder, and runs the
commands an organiser runs first, from a directory that is not the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.terminal import Terminal
from kiosk.paths import PROJECT_ROOT

pytestmark = pytest.mark.timeout(600)


class Installed:
    """A venv holding the installed wheel, and a clean working directory beside it."""

    def __init__(self, root: Path) -> None:
        self.venv = root / "venv"
        self.work = root / "work"
        self.work.mkdir()
        self.bin = self.venv / "bin"

    def env(self) -> dict[str, str]:
        keep = ("HOME", "LANG", "LC_ALL", "TMPDIR")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env["PATH"] = f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"
        return env  # no PYTHONPATH, no KIOSK_* from the caller

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "kiosk"), *args],
            cwd=self.work,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    wheels = root / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(wheels), str(PROJECT_ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("borgerkiosk-*.whl")
    target = Installed(root)
    venv.create(target.venv, with_pip=True)
    subprocess.run(
        [str(target.bin / "python"), "-m", "pip", "--disable-pip-version-check", "-q",
         "install", str(wheel)],
        check=True, capture_output=True, timeout=400,
    )  # fmt: skip
    yield target


def test_the_package_is_the_installed_one_not_the_checkout(installed: Installed) -> None:
    where = subprocess.run(
        [str(installed.bin / "python"), "-c",
         "import kiosk, kiosk.paths as p; print(kiosk.__file__); print(p.DEFAULT_SURVEY)"],
        cwd=installed.work, env=installed.env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    module, survey = where.stdout.splitlines()
    assert str(installed.venv) in module
    assert str(PROJECT_ROOT) not in module + survey
    assert Path(survey).is_file()


def test_validate_a_bundled_survey(installed: Installed) -> None:
    survey = installed.venv.glob("lib/python*/site-packages/kiosk/surveys/gentofte-moedes.yaml")
    result = installed.run("validate", str(next(survey)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: gentofte-moedes" in result.stdout


def test_simulate_then_export_and_stats(installed: Installed) -> None:
    data = installed.work / "rehearsal"
    simulated = installed.run("simulate", "--data", str(data), "--visitors", "3", "--seed", "7")
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    out = installed.work / "records.jsonl"
    exported = installed.run("export", "--data", str(data), "--format", "jsonl", "--out", str(out))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 3
    assert {r["survey_id"] for r in records} == {"gentofte-moedes"}
    csv_dir = installed.work / "csv"
    as_csv = installed.run("export", "--data", str(data), "--format", "csv", "--out", f"{csv_dir}/")
    assert as_csv.returncode == 0, as_csv.stdout + as_csv.stderr
    header = next(csv_dir.glob("*.csv")).read_text(encoding="utf-8").splitlines()[0]
    # the bundled survey's question order, which needs the bundled survey file
    assert header.index("tilknytning") < header.index("emner")
    stats = installed.run("stats", "--data", str(data))
    assert stats.returncode == 0, stats.stdout + stats.stderr
    workbook = installed.work / "resultater.xlsx"
    xlsx = installed.run("export", "--data", str(data), "--format", "xlsx", "--out", str(workbook))
    assert xlsx.returncode == 0, xlsx.stdout + xlsx.stderr
    assert workbook.read_bytes()[:2] == b"PK"  # a zip: an Excel workbook
    report = installed.work / "rapport.html"
    made = installed.run("report", "--data", str(data), "-o", str(report))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Gentofte Mødes" in report.read_text(encoding="utf-8")  # the bundled survey's texts


def test_kiosk_run_shows_the_bundled_survey_in_a_terminal(installed: Installed) -> None:
    env = {**installed.env(), "TERM": "xterm-256color", "KIOSK_ADMIN_PIN": "4711"}
    data = installed.work / "run-data"
    kiosk = installed.bin / "kiosk"
    terminal = Terminal(f"sh -c 'cd {installed.work} && exec {kiosk} run --data {data}'", env)
    try:
        shown = terminal.wait_for("Gentofte Mødes", seconds=60)
        assert "Traceback" not in shown
    finally:
        terminal.close()
