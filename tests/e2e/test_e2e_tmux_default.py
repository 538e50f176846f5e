"""End to end in a real terminal: ``kiosk run`` with no survey given, a session PIN, ctrl+p.

``kiosk run --config FILE`` with no survey file shows the bundled Gentofte Mødes survey;
KIOSK_ADMIN_PIN guards the organiser screen for that session; the command palette key and
the other lock-down keys do nothing in a real terminal; only the organiser's q quits.
"""

from __future__ import annotations

import sys
from pathlib import Path

from helpers.terminal import Terminal, kiosk_env
from kiosk.config import load_config


def test_kiosk_run_without_a_survey_runs_the_bundled_one_with_a_session_pin(
    tmp_path: Path,
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('kiosk_id = "e2e-default"\ndata = "data"\nlang = "en"\n', encoding="utf-8")
    assert load_config(config).surveys == ()
    env = kiosk_env(tmp_path, KIOSK_ADMIN_PIN="4711")
    terminal = Terminal(f"{sys.executable} -m kiosk run --config {config}", env)
    try:
        shown = terminal.wait_for("Gentofte Meets")
        assert "DEMO" not in shown, "a session PIN is not demo mode"
        terminal.keys("C-p", "C-c", "C-q", "C-z", "C-\\", "C-d")
        terminal.wait_for("Gentofte Meets")
        assert "KIOSK-EXITED" not in terminal.screen()
        terminal.keys("C-o")
        terminal.wait_for("Type the PIN")
        terminal.keys("1", "2", "3", "4", "Enter")
        terminal.wait_for("Wrong PIN")
        terminal.keys("4", "7", "1", "1", "Enter")
        terminal.wait_for("Close the kiosk")
        terminal.keys("q")
        terminal.wait_for("KIOSK-EXITED-0")
    finally:
        terminal.close()
    assert (tmp_path / "data").is_dir()
