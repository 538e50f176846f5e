"""Helpers of the ``kiosk serve`` tests and benchmark: the real server, a real browser.

The server runs as ``python -m kiosk serve`` on a free loopback port; the browser is
Debian's chromium driven by Playwright (no browser download). The page draws the kiosk on
a canvas (xterm.js), so the terminal object is caught as the page makes it and its buffer
is read as text: where a word is on screen, and whether a screen is shown.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"

#: Run in the page before its scripts: keeps xterm.js's Terminal as ``window.__term`` and
#: stamps every pointer press (``window.__taps``), so a test reads the screen as text and
#: a benchmark times a tap to the frame that shows the next question.
CATCH_TERMINAL = """
(() => {
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    get() { return undefined; },
    set(value) {
      Object.defineProperty(this, "terminal",
        {value, writable: true, configurable: true, enumerable: true});
      if (value && value.buffer && value.onRender) {
        window.__term = value;
        window.__renders = [];
        value.onRender(() => window.__renders.push(performance.now()));
      }
    },
  });
  window.__taps = [];
  window.addEventListener("mousedown", () => window.__taps.push(performance.now()), true);
})();
"""

SCREEN_TEXT = """
() => {
  const t = window.__term;
  if (!t) return null;
  const b = t.buffer.active, lines = [];
  for (let y = 0; y < t.rows; y++) {
    const line = b.getLine(y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServeProcess:
    """``kiosk serve`` on a free loopback port, with the access key it printed."""

    data_dir: Path
    args: list[str] = field(default_factory=list)
    port: int = 0
    key: str = ""
    proc: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    def start(self, timeout: float = 30.0) -> ServeProcess:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("KIOSK_ADMIN_PIN", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk",
                "serve",
                "--data",
                str(self.data_dir),
                "--port",
                str(self.port),
                *self.args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=ROOT,
        )
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if "Access key:" in line:
                self.key = line.rsplit(":", 1)[1].strip()
                break
        if not self.key:
            self.stop()
            raise AssertionError("kiosk serve did not start:\n" + "".join(self.output))
        try:
            wait_for(lambda: _listening(self.port), 15, "the server to listen")
        except AssertionError:
            self.stop()
            raise
        return self

    def url(self, kiosk: str | None = None, **params: str) -> str:
        from urllib.parse import urlencode

        query = {"key": self.key, **({"kiosk": kiosk} if kiosk else {}), **params}
        return f"http://127.0.0.1:{self.port}/?{urlencode(query)}"

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (from /proc), living or not yet reaped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent:
                found.append(child)
                frontier.append(child)
    return found


def session_pids(server: ServeProcess) -> list[int]:
    """The tablet sessions ``kiosk serve`` runs now (processes of kiosk.serve.session)."""
    assert server.proc is not None
    pids = []
    for pid in children(server.proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kiosk.serve.session" in cmdline:
            pids.append(pid)
    return pids


def tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, in KiB (from /proc)."""
    total = 0
    for each in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


class Tablet:
    """One browser page on the served kiosk, read and tapped like a person would."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def open(self, url: str, timeout: float = 30.0) -> Tablet:
        self.page.add_init_script(CATCH_TERMINAL)
        self.page.goto(url, timeout=timeout * 1000)
        return self

    def text(self) -> str:
        return self.page.evaluate(SCREEN_TEXT) or ""

    def wait_text(self, wanted: str, timeout: float = 30.0) -> str:
        try:
            return wait_for(
                lambda: self.text() if wanted in self.text() else "",
                timeout,
                f"{wanted!r} on screen",
            )
        except AssertionError as exc:
            shown = "\n".join(line.rstrip() for line in self.text().splitlines() if line.strip())
            raise AssertionError(f"{exc}; the screen shows:\n{shown}") from None

    def where(self, wanted: str) -> tuple[int, int] | None:
        """Row and column of the first cell of ``wanted`` on screen, or None."""
        for row, line in enumerate(self.text().splitlines()):
            col = line.find(wanted)
            if col >= 0:
                return row, col
        return None

    def cell_centre(self, row: int, col: int) -> tuple[float, float]:
        box = self.page.evaluate(
            """() => { const r = document.querySelector('.xterm-screen').getBoundingClientRect();
                       return [r.x, r.y, r.width, r.height, window.__term.cols,
                               window.__term.rows]; }"""
        )
        x, y, width, height, cols, rows = box
        return x + (col + 0.5) * width / cols, y + (row + 0.5) * height / rows

    def tap(self, wanted: str, timeout: float = 30.0, offset: int = 0) -> None:
        """Tap the middle of the first ``wanted`` on screen (waiting for it to show)."""
        found = wait_for(lambda: self.where(wanted), timeout, f"{wanted!r} to tap")
        row, col = found
        x, y = self.cell_centre(row, col + offset + len(wanted) // 2)
        self.page.mouse.click(x, y)


#: A short survey with idea cards and a follow-up QR code: two taps to a saved response.
SURVEY = """\
id: bytest
version: 1
languages: [da, en]
ref_prefix: ID
title: {da: Byens fremtid, en: The town's future}
intro: {da: Fortæl os det, en: Tell us}
thanks: {da: Tak for hjælpen, en: Thanks}
questions:
  - id: mood
    type: yes_no
    text: {da: Er du i godt humør, en: Are you in a good mood}
  - id: cykel
    type: yes_no
    text: {da: Cykler du til arbejde, en: Do you cycle to work}
ideas:
  prompt: {da: Hvad handler din idé om, en: What is your idea about}
  themes:
    - {id: groent, text: {da: Grønt, en: Green}}
    - {id: trafik, text: {da: Trafik, en: Traffic}}
followup:
  url: https://example.dk/ide/{ref}
  text: {da: Scan for at følge din idé, en: Scan to follow your idea}
"""
#: The welcome screen's start buttons, the first question and the second.
START_SURVEY, START_IDEA = "1  Byens fremtid", "2  Del en idé"
FIRST, SECOND = "Er du i godt humør", "Cykler du til arbejde"
QR_BLOCKS = "▀▄█"


def survey_file(folder: Path) -> Path:
    path = folder / "bytest.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return path


def stored_records(data_dir: Path) -> list[dict[str, Any]]:
    """Every record in the data directory, read as ``kiosk export`` would (read-only)."""
    from kiosk.store import RecordStore

    store = RecordStore(data_dir, read_only=True)
    try:
        return store.records()
    finally:
        store.close()


def take_survey(tablet: Tablet) -> None:
    """Welcome -> Ja -> Nej -> the thank-you screen, by taps alone."""
    tablet.tap(START_SURVEY)
    tablet.wait_text(FIRST)
    tablet.tap("1  Ja")
    tablet.wait_text(SECOND)
    tablet.tap("2  Nej")
    tablet.wait_text("Tak for hjælpen")


class WifiProxy:
    """A TCP relay between the browser and ``kiosk serve`` that can lose the Wi-Fi: after
    :meth:`cut` nothing passes either way and no connection is closed (no FIN, no RST), as
    when a tablet walks out of the hotspot's reach."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lost = threading.Event()
        self.closed = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            self.held += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        source.settimeout(0.2)
        while not self.closed.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                if not self.lost.is_set():
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)
                return
            if not self.lost.is_set():  # after the cut, bytes vanish
                with contextlib.suppress(OSError):
                    target.sendall(data)

    def cut(self) -> None:
        self.lost.set()

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        for sock in self.held:
            with contextlib.suppress(OSError):
                sock.close()
