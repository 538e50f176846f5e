"""Benchmarks of ``kiosk serve`` (issue 14): tablets in a browser against the terminal.

    python benchmarks/bench_serve.py [--visits 8] [--tablets 10] [--quick]

1. Tap to next question drawn, in the browser: ``kiosk serve`` on a loopback port, Debian's
   chromium headless (Playwright), a survey of ten yes/no questions. Measured in the page:
   from the pointer press (a ``mousedown`` listener, ``performance.now()``) to the first
   frame xterm.js draws (``onRender``) whose terminal text shows the next question. Paced
   like a visitor (50 ms after each drawn question). The same taps in the terminal, in the
   same run: the app headless (Textual's Pilot clicks), measured by the app's own meter from
   the tap to the screen refreshed (as benchmarks/bench_app.py does for keys). Both run
   with ``settle_seconds = 0``: the time a chosen answer shows before the next question is a
   deliberate pause, left out here as in bench_app.py. Goal: browser p99 under 150 ms.
2. Memory: the resident memory (RSS) of one tablet's session process (and any children),
   and of the whole ``kiosk serve`` process tree with ``--tablets`` tablets open at once.
   Goal: ten tablets under 1 GiB in all.

Every goal is printed on one line as ``FIGURE (goal OP LIMIT) met|MISSED``. Nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers.serve import (  # noqa: E402
    CHROMIUM,
    ServeProcess,
    Tablet,
    session_pids,
    tree_rss_kib,
    wait_for,
)

QUESTIONS = 10
START = "1  Tablet-måling"


def question_text(number: int) -> str:
    return f"Måle-spørgsmål nummer {number:02d}"


def bench_survey(folder: Path) -> Path:
    lines = [
        "id: tabletmaaling",
        "version: 1",
        "languages: [da, en]",
        "title: {da: Tablet-måling, en: Tablet timing}",
        "intro: {da: Måling, en: Timing}",
        "thanks: {da: Tak for målingen, en: Thanks}",
        "questions:",
    ]
    for number in range(1, QUESTIONS + 1):
        lines += [
            f"  - id: q{number:02d}",
            "    type: yes_no",
            f"    text: {{da: {question_text(number)}, en: Timing question {number:02d}}}",
        ]
    path = folder / "tabletmaaling.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bench_config(folder: Path, survey: Path) -> Path:
    path = folder / "kiosk.toml"
    path.write_text(
        f'surveys = ["{survey.name}"]\nsettle_seconds = 0\nthanks_timeout = 1\n',
        encoding="utf-8",
    )
    return path


#: Stamps each websocket message the page receives (``window.__recv``), to split a tap's
#: time into the laptop's part (the frame's bytes arrived) and the browser's (drawn).
STAMP_MESSAGES = """
(() => {
  window.__recv = [];
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, listener, options) {
    if (type === "message") {
      const inner = listener;
      listener = function (event) {
        window.__recv.push(performance.now());
        return inner.call(this, event);
      };
    }
    return add.call(this, type, listener, options);
  };
})();
"""

#: Arms one measurement: resolves ``window.__result`` with the milliseconds from the next
#: pointer press to the first drawn frame whose text holds ``expected``.
ARM = """
(expected) => {
  window.__result = null;
  const term = window.__term, taps = window.__taps.length;
  const shows = () => {
    const b = term.buffer.active;
    for (let y = 0; y < term.rows; y++) {
      const line = b.getLine(y);
      if (line && line.translateToString(true).includes(expected)) return true;
    }
    return false;
  };
  const sub = term.onRender(() => {
    if (window.__taps.length > taps && shows()) {
      sub.dispose();
      const tap = window.__taps[window.__taps.length - 1], now = performance.now();
      const arrived = window.__recv.filter((t) => t >= tap && t <= now);
      window.__arrived = (arrived.length ? arrived[arrived.length - 1] : now) - tap;
      window.__result = now - tap;
    }
  });
}
"""


def percentile(samples: list[float], p: float) -> float:
    data = sorted(samples)
    index = max(0, min(len(data) - 1, int(-(-p * len(data) // 1)) - 1))
    return data[index]


def browser_taps(server: ServeProcess, visits: int) -> tuple[list[float], list[float]]:
    """Tap to drawn, and tap to the drawn frame's last bytes arrived, in milliseconds."""
    from playwright.sync_api import sync_playwright

    samples: list[float] = []
    arrivals: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1024, "height": 700})
        page.add_init_script(STAMP_MESSAGES)
        tablet = Tablet(page).open(server.url("bench-1"))
        for _visit in range(visits):
            tablet.tap(START, timeout=60)
            tablet.wait_text(question_text(1))
            for number in range(1, QUESTIONS + 1):
                last = number == QUESTIONS
                expected = "Tak for målingen" if last else question_text(number + 1)
                where = wait_for(lambda: tablet.where("1  Ja"), 30, "the Ja button")
                x, y = tablet.cell_centre(where[0], where[1] + 2)
                page.evaluate(ARM, expected)
                page.mouse.click(x, y)
                page.wait_for_function("() => window.__result !== null", timeout=30_000)
                if not last:
                    samples.append(float(page.evaluate("window.__result")))
                    arrivals.append(float(page.evaluate("window.__arrived")))
                time.sleep(0.05)
            tablet.wait_text(START, timeout=30)  # thanks_timeout = 1 s: back to welcome
        browser.close()
    return samples, arrivals


def terminal_taps(survey_path: Path, visits: int) -> list[float]:
    """The same survey, tapped in the terminal app (headless, Pilot clicks)."""
    from kiosk.app.launch import build_app
    from kiosk.app.screens.question import QuestionScreen
    from kiosk.app.screens.welcome import WelcomeScreen
    from kiosk.config import KioskConfig
    from kiosk.survey import load_survey

    survey = load_survey(survey_path)
    config = KioskConfig(kiosk_id="bench-t", touch=True, settle_seconds=0, thanks_timeout=1)

    async def run(data: Path) -> list[float]:
        app = build_app(config, [survey], data)
        async with app.run_test(size=(120, 40)) as pilot:
            for _visit in range(visits):
                while not isinstance(app.screen, WelcomeScreen):
                    await pilot.pause(0.05)
                await pilot.click(app.screen.query(".start").first())
                while not isinstance(app.screen, QuestionScreen):
                    await pilot.pause(0.01)
                screen = app.screen
                for _ in range(QUESTIONS):
                    turn = screen.flow.turn
                    await pilot.click(screen.body.query(".option").first())
                    while screen.flow.turn == turn and isinstance(app.screen, QuestionScreen):
                        await pilot.pause(0.005)
                    await pilot.pause(0.05)
        app.close_store()
        summary = app.latency
        return [s * 1000 for s in summary._samples]

    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(Path(tmp)))


def verdict(figure: float, goal: float) -> str:
    return "met" if figure <= goal else "MISSED"


def report(name: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = statistics.median(samples), percentile(samples, 0.99)
    print(
        f"   {name:9s} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {max(samples):6.1f} ms  "
        f"n={len(samples)}"
    )
    return p50, p99


def memory(server: ServeProcess, tablets: int) -> None:
    from playwright.sync_api import sync_playwright

    assert server.proc is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        pages = []
        for number in range(tablets):
            page = browser.new_page(viewport={"width": 1024, "height": 700})
            tablet = Tablet(page).open(server.url(f"mem-{number + 1}"))
            tablet.wait_text(START, timeout=90)
            pages.append(tablet)
            if number == 0:
                time.sleep(1.0)
                (pid,) = session_pids(server)
                one = tree_rss_kib(pid)
                print(f"   one tablet's session (RSS of its process tree) {one / 1024:7.1f} MiB")
        for tablet in pages:  # each tablet takes a visit to its first question
            tablet.tap(START)
            tablet.wait_text(question_text(1), timeout=60)
        time.sleep(1.0)
        sessions = session_pids(server)
        total = tree_rss_kib(server.proc.pid)
        each = [tree_rss_kib(pid) for pid in sessions]
        print(
            f"   {len(sessions)} tablets at once: sessions {sum(each) / 1024:7.1f} MiB "
            f"(mean {statistics.mean(each) / 1024:5.1f} MiB), server and sessions "
            f"{total / 1024:7.1f} MiB"
        )
        mib = total / 1024
        met = verdict(mib, 1024)
        print(f"   {tablets} tablets in all {mib:7.1f} MiB  (goal < 1024 MiB)  {met}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=8, help="visits per side (9 taps each)")
    parser.add_argument("--tablets", type=int, default=10, help="tablets open at once")
    parser.add_argument("--quick", action="store_true", help="a shorter look: 3 visits")
    args = parser.parse_args()
    if args.quick:
        args.visits = 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        survey = bench_survey(folder)
        config = bench_config(folder, survey)
        server = ServeProcess(folder / "data", ["--config", str(config)]).start()
        try:
            print(f"1. tap to next question drawn ({args.visits} visits, settle time 0)")
            browser, arrived = browser_taps(server, args.visits)
            terminal = terminal_taps(survey, args.visits)
            _b50, b99 = report("browser", browser)
            report("arrived", arrived)
            print("   (arrived: tap to the drawn frame's bytes in the page; the rest is drawing)")
            report("terminal", terminal)
            print("   (terminal: the app's own meter, tap handled to screen refreshed)")
            print(f"   browser p99 {b99:6.1f} ms  (goal < 150 ms)  {verdict(b99, 150)}")
            print(f"2. memory ({args.tablets} tablets)")
            memory(server, args.tablets)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
