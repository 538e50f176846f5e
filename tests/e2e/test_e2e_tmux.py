"""End to end in a real terminal: ``kiosk run`` in tmux, answered with send-keys.

Skipped nowhere: CI installs tmux (apt-get install tmux). Every wait is bounded, and the
tmux session is killed in a finally, whatever happens.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.surveys import ALL_TYPES
from helpers.terminal import Terminal, kiosk_env
from kiosk.store import RecordStore


def test_kiosk_run_in_tmux_saves_the_answers(tmp_path: Path) -> None:
    survey = tmp_path / "survey.yaml"
    survey.write_text(ALL_TYPES, encoding="utf-8")
    data = tmp_path / "data"
    env = kiosk_env(tmp_path)
    command = f"{sys.executable} -m kiosk run {survey} --data {data} --kiosk-id e2e --lang da"
    terminal = Terminal(command, env)
    try:
        terminal.wait_for("Alle typer")
        terminal.keys("1")
        terminal.wait_for("Velkommen til prøven")
        terminal.keys("Enter")
        terminal.wait_for("Spørgsmål 1 af 7")
        terminal.keys("2")
        terminal.wait_for("0 af 2 valgt")
        terminal.keys("1", "3")
        terminal.wait_for("2 af 2 valgt")
        terminal.keys("Enter")
        terminal.wait_for("Humør")
        terminal.keys("5")
        terminal.wait_for("Vil du være med")
        terminal.keys("2")
        terminal.wait_for("Sig noget")
        terminal.keys("h", "e", "j", "Enter")
        terminal.wait_for("Din alder")
        terminal.keys("4", "2", "Enter")
        terminal.wait_for("Tak for svarene")
        # lock-down in a real terminal: these must not end the kiosk
        terminal.keys("C-c", "C-q", "C-z", "C-\\")
        terminal.wait_for("Tak for svarene")
        assert "KIOSK-EXITED" not in terminal.screen()
        with RecordStore(data) as store:  # the store is safe to read from another process
            (record,) = store.records()
        assert record["answers"] == {
            "where": "south",
            "topics": ["a", "c"],
            "mood": 5,
            "join": False,
            "words": "hej",
            "age": 42,
        }
        assert record["kiosk_id"] == "e2e" and record["completed"] is True
        terminal.keys("Space")
        terminal.wait_for("Alle typer")
        terminal.keys("C-o")  # demo mode: no PIN
        terminal.wait_for("DEMO-tilstand")
        terminal.keys("q")
        terminal.wait_for("KIOSK-EXITED-0")
    finally:
        terminal.close()
