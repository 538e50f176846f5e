"""Benchmarks of the visitor kiosk (issue 3), each paired with its reference in the same run.

    python benchmarks/bench_app.py [--runs 7] [--visitors 20] [--records 50000]
                                   [--rss-low 100] [--rss-high 2000]

1. Cold start: wall time from spawning ``python`` to the first frame of the first screen,
   for ``kiosk run`` (through the real CLI, a second start: the survey validated before)
   and for a minimal Textual app with one Static. Each child runs headless at 80x24 and
   hooks the screen's compositor refresh: at the first frame it prints the seconds since
   the parent spawned it and exits at once. Runs alternate kiosk/minimal; medians and
   their ratio are printed (goal <= 1.3).
2. Key press to next question drawn, measured inside the app (QuestionScreen stamps the
   key, ``call_after_refresh`` stamps the drawn screen), with 0 and with 50,000 records in
   the store, paced like a visitor (50 ms between keys). Goal p50 <= 25 ms, p99 <= 60 ms.
   After a pick the chosen answer shows for the settle time before the next question:
   that wait is left out of the figure and reported apart.
3. RSS after ``--rss-low`` and after ``--rss-high`` simulated visitors in one process
   (goal: ratio <= 1.1). 2,000 visitors take ~25 minutes on a busy 2-core machine; pass
   a smaller --rss-high for a quick look (the ratio is printed with the counts).

``--quick`` is a shorter look (3 start pairs, 10 visitors, RSS after 100 and 500 visitors).
Every goal is printed on one line as ``FIGURE (goal OP LIMIT) met|MISSED``, which
``scripts/bench`` collects into its summary. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# -- children ------------------------------------------------------------------------------
def _exit_on_first_paint(spawned: float) -> None:
    """Run every App headless; at the first screen painted, print seconds since spawn, exit.

    The hook is the screen's compositor refresh, the step that writes a frame to the
    terminal; ``os._exit`` ends the process there, so nothing after the first frame counts.
    """
    from textual.app import App
    from textual.screen import Screen

    original_run = App.run
    original_refresh = Screen._compositor_refresh

    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.update(headless=True, size=(80, 24))
        return original_run(self, *args, **kwargs)

    def refresh(self):  # type: ignore[no-untyped-def]
        original_refresh(self)
        if self.app.screen is self and self.children:
            print(f"{time.time() - spawned:.6f}", flush=True)
            os._exit(0)

    App.run = run  # type: ignore[method-assign]
    Screen._compositor_refresh = refresh  # type: ignore[method-assign]


def child_cold(kind: str, data_dir: str, spawned: str) -> None:
    _exit_on_first_paint(float(spawned))
    if kind == "kiosk":
        from kiosk.cli import cli

        cli(["run", "--data", data_dir, "--kiosk-id", "bench"], standalone_mode=False)
    else:
        from textual.app import App, ComposeResult
        from textual.widgets import Static

        class Minimal(App[None]):
            def compose(self) -> ComposeResult:
                yield Static("Hello")

        Minimal().run()


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child_rss(data_dir: str, low: int, high: int) -> None:
    from kiosk.app.launch import build_app
    from kiosk.app.simulate import Simulation
    from kiosk.config import KioskConfig
    from kiosk.paths import DEFAULT_SURVEY
    from kiosk.survey import load_survey

    app = build_app(KioskConfig(kiosk_id="bench"), [load_survey(DEFAULT_SURVEY)], Path(data_dir))
    figures: dict[str, int] = {}

    def after(count: int) -> None:
        if count in (low, high) or count % 250 == 0:
            gc.collect()
            figures[str(count)] = rss_kib()
            print(f"rss {count} {figures[str(count)]}", file=sys.stderr, flush=True)

    asyncio.run(Simulation(app, seed=11, abandon=0.1).run(high, after_visitor=after))
    app.store.close()
    print(json.dumps(figures))


# -- parent --------------------------------------------------------------------------------
def verdict(figure: float, goal: float) -> str:
    return "met" if figure <= goal else "MISSED"


def cold_start(runs: int) -> None:
    times: dict[str, list[float]] = {"kiosk": [], "minimal": []}
    with tempfile.TemporaryDirectory() as data_dir:
        # One start not counted: it validates the survey and keeps its preview, as the
        # first start at an event does; the measured ones are every start after that.
        kinds = [("kiosk", False)] + [(k, True) for _ in range(runs) for k in times]
        for kind, counted in kinds:
            spawned = f"{time.time():.6f}"
            done = subprocess.run(
                [sys.executable, __file__, "--child-cold", kind, data_dir, spawned],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if counted:
                times[kind].append(float(done.stdout.strip().splitlines()[-1]))
    kiosk, minimal = (statistics.median(times[k]) for k in ("kiosk", "minimal"))
    print(f"1. cold start to first screen (median of {runs}, wall clock incl. interpreter)")
    print(f"   kiosk run      {kiosk * 1000:7.0f} ms")
    print(f"   minimal app    {minimal * 1000:7.0f} ms")
    ratio = kiosk / minimal
    print(f"   ratio kiosk / minimal {ratio:5.2f}   (goal <= 1.30)  {verdict(ratio, 1.30)}")


def prefill(data_dir: Path, count: int) -> float:
    from kiosk.records import new_record
    from kiosk.store import RecordStore

    start = time.perf_counter()
    with RecordStore(data_dir, durable=False) as store:
        for n in range(count):
            store.save(
                new_record(
                    kind="response",
                    survey_id="gentofte-moedes",
                    survey_version=1,
                    survey_hash="0" * 64,
                    kiosk_id="prefill",
                    lang="da",
                    started_at="2026-09-05T10:00:00.000Z",
                    completed=n % 7 != 0,
                    answers={"tilknytning": "bor", "emner": ["kultur"], "alder": 20 + n % 60},
                )
            )
    return time.perf_counter() - start


def latency(records: int, visitors: int) -> None:
    from kiosk.app.launch import build_app
    from kiosk.app.simulate import Simulation
    from kiosk.config import KioskConfig
    from kiosk.paths import DEFAULT_SURVEY
    from kiosk.survey import load_survey

    survey = load_survey(DEFAULT_SURVEY)
    print(f"2. key press to next question drawn ({visitors} visitors, 50 ms between keys)")
    results = {}
    for count in (0, records):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            took = prefill(data, count) if count else 0.0
            app = build_app(KioskConfig(kiosk_id="bench"), [survey], data)
            simulation = Simulation(app, seed=5, abandon=0.0, pace=0.05)
            summary = asyncio.run(simulation.run(visitors))
            app.store.close()
            lat = summary.latency
            assert lat is not None
            results[count] = lat
            note = f" (pre-filled in {took:.1f} s)" if count else ""
            print(
                f"   {count:6d} records: p50 {lat.p50_ms:6.1f} ms  p99 {lat.p99_ms:6.1f} ms  "
                f"max {lat.max_ms:6.1f} ms  n={lat.count}{note}"
            )
            settle = app.settle_meter.summary()
            print(
                f"          settle time apart (a pick shows as chosen, then the next question; "
                f"setting {app.settings.settle_seconds:.2f} s): p50 {settle.p50_ms:6.1f} ms  "
                f"p99 {settle.p99_ms:6.1f} ms  n={settle.count}"
            )
    low, high = results[0], results[records]
    print(
        f"   ratio {records} vs 0 records: p50 {high.p50_ms / max(low.p50_ms, 1e-9):.2f}, "
        f"p99 {high.p99_ms / max(low.p99_ms, 1e-9):.2f}"
    )
    print(
        f"   p50 with {records} records {high.p50_ms:6.1f} ms  (goal <= 25 ms)  "
        f"{verdict(high.p50_ms, 25)}"
    )
    print(
        f"   p99 with {records} records {high.p99_ms:6.1f} ms  (goal <= 60 ms)  "
        f"{verdict(high.p99_ms, 60)}"
    )


def rss(low: int, high: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        done = subprocess.run(
            [sys.executable, __file__, "--child-rss", data_dir, str(low), str(high)],
            check=True,
            capture_output=True,
            text=True,
            timeout=6 * 3600,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    a, b = figures[str(low)], figures[str(high)]
    print("3. RSS of one kiosk process after simulated visitors")
    print(f"   after {low:5d} visitors {a / 1024:7.1f} MiB")
    print(f"   after {high:5d} visitors {b / 1024:7.1f} MiB")
    print(f"   ratio {high} / {low} visitors {b / a:7.3f}   (goal <= 1.10)  {verdict(b / a, 1.10)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, visitors, RSS 500")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--visitors", type=int)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rss-low", type=int, default=100)
    parser.add_argument("--rss-high", type=int)
    parser.add_argument("--only", choices=("cold", "latency", "rss"))
    parser.add_argument("--child-cold", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-rss", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_cold:
        child_cold(*args.child_cold)
        return
    if args.child_rss:
        data_dir, low, high = args.child_rss
        child_rss(data_dir, int(low), int(high))
        return
    runs = args.runs or (3 if args.quick else 7)
    visitors = args.visitors or (10 if args.quick else 20)
    rss_high = args.rss_high or (500 if args.quick else 2000)
    if args.only in (None, "cold"):
        cold_start(runs)
    if args.only in (None, "latency"):
        latency(args.records, visitors)
    if args.only in (None, "rss"):
        rss(args.rss_low, rss_high)


if __name__ == "__main__":
    main()
