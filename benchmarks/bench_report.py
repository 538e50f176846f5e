"""How long the report and the Excel workbook take for a big event, next to a plain CSV export.

    python benchmarks/bench_report.py            # 50,000 records
    python benchmarks/bench_report.py --quick    # 10,000 records
    python benchmarks/bench_report.py --records 20000

Makes the records of a busy event (four kiosks, the bundled Gentofte Mødes survey,
partial and suspect visits, text answers, one idea card in ten), writes them to a
JSON-lines file, then runs each output in a fresh child process that reads the same
file: ``kiosk.export.export_csv`` (the floor: one pass, no counting), the workbook
(tally + openpyxl) and the HTML report (tally + matplotlib charts + Jinja2). Each child
times its own work (reading the input is left out: it is the same for all three) and
reports its peak RSS, which includes the records it holds.

Goals: the report at most 10x the CSV export's time; peak memory under 500 MiB for the
report and the workbook.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.paths import SURVEYS_DIR  # noqa: E402
from kiosk.records import new_record  # noqa: E402

SURVEY_FILE = SURVEYS_DIR / "gentofte-moedes.yaml"
KIOSKS = ("raadhus-1", "raadhus-2", "bibliotek", "torvet")
TILKNYTNING = ("bor", "arbejder", "forening", "besoeger")
EMNER = ("aeldre", "boern-skole", "klima-groent", "kultur", "foreninger", "trafik")
THEMES = (
    "lytter-foerst",
    "bygger-bro",
    "skaber-fremdrift",
    "goer-det-nemt",
    "fastholder-virkelyst",
    "tydelige-rammer",
)
WORDS = [
    "flere",
    "bænke",
    "ved",
    "søen",
    "cykelsti",
    "lys",
    "bibliotek",
    "åbent",
    "længere",
    "unge",
    "ældre",
    "grønt",
]
TIME_GOAL, MEMORY_GOAL_MIB = 10.0, 500.0


def make_records(count: int, survey_hash: str, seed: int = 12) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for n in range(count):
        minute = n * 600 // count  # spread over ten hours of one day
        started = f"2026-09-05T{7 + minute // 60:02d}:{minute % 60:02d}:{n % 60:02d}.000Z"
        common = {
            "survey_id": "gentofte-moedes",
            "survey_version": 1,
            "survey_hash": survey_hash,
            "kiosk_id": KIOSKS[n % len(KIOSKS)],
            "lang": "da" if n % 5 else "en",
            "started_at": started,
            "suspect": n % 33 == 0,
        }
        if n % 10 == 9:
            records.append(
                new_record(
                    kind="idea",
                    completed=True,
                    answers={"aldersgruppe": rng.choice(["18-29", "30-49", "67-plus"])},
                    ref=f"GM-{n:06d}",
                    idea={
                        "theme": rng.choice(THEMES),
                        "title": " ".join(rng.sample(WORDS, 3)),
                        "description": " ".join(rng.choices(WORDS, k=25)),
                    },
                    **common,
                )
            )
            continue
        answers: dict[str, Any] = {
            "tilknytning": rng.choice(TILKNYTNING),
            "emner": rng.sample(EMNER, rng.randint(1, 3)),
            "festival": rng.randint(1, 5),
            "opgaveudvalg": rng.random() < 0.4,
            "alder": rng.randint(12, 95),
        }
        if answers["opgaveudvalg"]:
            answers["opgaveudvalg-emne"] = rng.choice(["aeldre", "klima", "innovation"])
        if rng.random() < 0.3:
            answers["kommentar"] = " ".join(rng.choices(WORDS, k=12))
        completed = rng.random() < 0.8
        if not completed:
            answers = dict(list(answers.items())[: rng.randint(1, 3)])
        records.append(new_record(kind="response", completed=completed, answers=answers, **common))
    return records


def child(job: str, source: Path, out_dir: Path) -> None:
    """One measured output in this (fresh) process; prints seconds and peak RSS as JSON."""
    records = [json.loads(line) for line in source.open(encoding="utf-8")]
    started = time.perf_counter()
    if job == "csv":
        from kiosk.export import export_csv

        with (out_dir / "records.csv").open("w", encoding="utf-8", newline="") as handle:
            export_csv(records, handle)
    else:
        from kiosk.i18n import Translator
        from kiosk.results import tally
        from kiosk.results.sources import load_definitions

        definitions, _ = load_definitions([SURVEY_FILE])
        t = Translator("da")
        results = tally(
            records, definitions, lang="da", yes_no=(t("question.yes"), t("question.no"))
        )
        if job == "xlsx":
            from kiosk.results.workbook import write_workbook

            write_workbook(out_dir / "resultater.xlsx", records, results, definitions, t)
        else:
            from kiosk.results.report import write_report

            write_report(out_dir / "rapport.html", results, t)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def measure(job: str, source: Path, out_dir: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", job, str(source), str(out_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {job} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="10,000 records")
    parser.add_argument(
        "--child", nargs=3, metavar=("JOB", "SOURCE", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    from kiosk.survey import load_survey, survey_hash

    count = 10_000 if args.quick else args.records
    digest = survey_hash(load_survey(SURVEY_FILE))
    with tempfile.TemporaryDirectory(prefix="bench-report-", dir=ROOT) as temp:
        folder = Path(temp)
        source = folder / "records.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for record in make_records(count, digest):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{count:,} records ({source.stat().st_size / 2**20:.1f} MiB of JSON lines)")
        figures = {job: measure(job, source, folder) for job in ("csv", "xlsx", "report")}
        sizes = {
            "csv": (folder / "records.csv").stat().st_size,
            "xlsx": (folder / "resultater.xlsx").stat().st_size,
            "report": (folder / "rapport.html").stat().st_size,
        }
    base = figures["csv"]
    print(f"{'output':<8}{'time':>10}{'peak RSS':>12}{'file':>11}")
    for job, figure in figures.items():
        print(
            f"{job:<8}{figure['seconds']:>9.2f}s{figure['peak_mib']:>8.0f} MiB"
            f"{sizes[job] / 2**20:>7.1f} MiB"
        )
    report_ratio = figures["report"]["seconds"] / base["seconds"]
    xlsx_ratio = figures["xlsx"]["seconds"] / base["seconds"]
    verdict = "met" if report_ratio <= TIME_GOAL else "MISSED"
    print(f"report time / csv time: {report_ratio:.1f}x (goal <= {TIME_GOAL:g}x) {verdict}")
    print(f"workbook time / csv time: {xlsx_ratio:.1f}x (no goal; for reference)")
    for job in ("report", "xlsx"):
        peak = figures[job]["peak_mib"]
        verdict = "met" if peak < MEMORY_GOAL_MIB else "MISSED"
        print(f"{job} peak memory: {peak:.0f} MiB (goal < {MEMORY_GOAL_MIB:g} MiB) {verdict}")
    ratio = figures["report"]["peak_mib"] / base["peak_mib"]
    print(f"report peak memory / csv peak memory: {ratio:.2f} (for reference)")


if __name__ == "__main__":
    main()
