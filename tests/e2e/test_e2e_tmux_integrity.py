"""Issue 9's reproductions in a real terminal: ``kiosk run`` on the bundled Gentofte survey
in tmux at 80x24, with keys in one burst (one ``send-keys`` writes them together, as a
keyboard wedge or a paste does) and a double tap sent as the terminal's own mouse codes.

Every wait is bounded; the tmux session is killed in a finally, whatever happens.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from helpers.terminal import Terminal, kiosk_env, tmux
from kiosk.paths import PROJECT_ROOT
from kiosk.store import RecordStore


class SmallTerminal(Terminal):
    """A detached tmux session of 80x24, the smallest screen the kiosk is made for."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        super().__init__(command, env, width=80, height=24)

    def burst(self, *keys: str) -> None:
        """Keys in one write to the terminal, not one by one."""
        tmux("send-keys", "-t", self.name, *keys)

    def tap(self, column: int, row: int) -> None:
        """A finger at (column, row), 0-based: press and release in SGR mouse codes."""
        x, y = column + 1, row + 1
        tmux("send-keys", "-t", self.name, "-l", f"\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m")

    def stays(self, text: str, seconds: float = 1.0) -> None:
        """``text`` is still on screen after a while (no late input moved the kiosk on)."""
        time.sleep(seconds)
        shown = self.screen()
        assert text in shown, f"{text!r} went away; the screen shows:\n{shown}"


def test_bursts_and_a_double_tap_store_only_what_the_visitor_chose(tmp_path: Path) -> None:
    survey = PROJECT_ROOT / "surveys" / "gentofte-moedes.yaml"
    data = tmp_path / "data"
    env = kiosk_env(tmp_path)
    command = f"{sys.executable} -m kiosk run {survey} --data {data} --kiosk-id e2e --lang da"
    terminal = SmallTerminal(command, env)
    try:
        terminal.wait_for("Gentofte Mødes")
        terminal.keys("1")
        terminal.wait_for("demokrati og samtale")
        terminal.keys("Enter")
        terminal.wait_for("Hvad er din tilknytning")
        # 1. two digits in one burst: 1 answers this question, 2 is dropped
        terminal.burst("12")
        terminal.wait_for("Hvilke emner")
        terminal.stays("0 af 3 valgt")
        terminal.keys("Enter")  # skip the topics
        terminal.wait_for("Hvad synes du om")
        # 2. a double tap on the second smiley, 250 ms apart: where "Ja" comes next
        terminal.tap(25, 4)
        time.sleep(0.25)
        terminal.tap(25, 4)
        terminal.wait_for("i et opgaveudvalg?")
        terminal.stays("i et opgaveudvalg?")
        terminal.keys("2")  # no
        terminal.wait_for("andet, du vil sige")
        # 3. a text and Enter in one burst: the text is kept
        terminal.burst("hej", "Enter")
        terminal.wait_for("Hvor gammel er du")
        # 4. a number and Enter in one burst on the last question: saved, no crash
        terminal.burst("42", "Enter")
        terminal.wait_for("Tak fordi du var med")
        assert "KIOSK-EXITED" not in terminal.screen()
        with RecordStore(data) as store:
            (record,) = store.records()
        assert record["completed"] is True
        assert record["answers"] == {
            "tilknytning": "bor",
            "festival": 2,
            "opgaveudvalg": False,
            "kommentar": "hej",
            "alder": 42,
        }
    finally:
        terminal.close()
