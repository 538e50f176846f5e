"""The kiosk never drops to a shell: ``kiosk run`` in tmux, hit by a bad byte and by a crash.

Every wait is bounded (Terminal.wait_for), and each tmux session is killed in a finally.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from helpers.terminal import TMUX, Terminal, kiosk_env
from kiosk.app.app import TEST_CRASH_ENV
from kiosk.app.supervise import LOG_NAME
from kiosk.store import RecordStore

SURVEY = """\
id: short
version: 1
languages: [da, en]
title: {da: Kort prøve, en: Short trial}
intro: {da: To spørgsmål, en: Two questions}
thanks: {da: Tak for svarene, en: Thanks for the answers}
questions:
  - id: where
    type: single_choice
    text: {da: Hvor bor du, en: Where do you live}
    choices:
      - {id: north, text: {da: Nord, en: North}}
      - {id: south, text: {da: Syd, en: South}}
  - id: words
    type: text
    max_length: 40
    text: {da: Sig noget, en: Say something}
"""


def start_kiosk(tmp_path: Path, **env: str) -> tuple[Terminal, Path]:
    survey = tmp_path / "survey.yaml"
    survey.write_text(SURVEY, encoding="utf-8")
    data = tmp_path / "data"
    environment = kiosk_env(tmp_path, **env)
    command = f"{sys.executable} -m kiosk run {survey} --data {data} --kiosk-id e2e --lang da"
    return Terminal(command, environment), data


def wait_for_log(data: Path, text: str, seconds: float = 20.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        path = data / LOG_NAME
        shown = path.read_text(encoding="utf-8") if path.exists() else ""
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not appear in the log:\n{shown}")
        time.sleep(0.1)


def send_bytes(terminal: Terminal, *hex_bytes: str) -> None:
    subprocess.run(
        [TMUX, "send-keys", "-t", terminal.name, "-H", *hex_bytes],
        check=True,
        timeout=10,
        capture_output=True,
    )


def test_a_byte_that_is_not_utf8_is_dropped_and_the_kiosk_keeps_answering_keys(
    tmp_path: Path,
) -> None:
    terminal, data = start_kiosk(tmp_path)
    try:
        terminal.wait_for("Kort prøve")
        send_bytes(terminal, "e6", "20")  # a Latin-1 "æ", then Space on the Start button
        terminal.wait_for("Hvor bor du")  # the Space after the bad byte still arrived
        terminal.keys("Escape")
        terminal.wait_for("Kort prøve")
        terminal.keys("C-o")  # demo mode: no PIN
        terminal.wait_for("DEMO-tilstand")
        terminal.keys("q")
        terminal.wait_for("KIOSK-EXITED-0")
        log = (data / LOG_NAME).read_text(encoding="utf-8")
        assert "starting it again" not in log  # the same app ran all along
        assert "the organiser quit the kiosk (run 1)" in log
    finally:
        terminal.close()


def test_textuals_own_driver_dies_on_that_byte_and_the_supervisor_starts_the_app_again(
    tmp_path: Path,
) -> None:
    """Without our driver (Textual's chosen by $TEXTUAL_DRIVER), the byte ends the app, as
    in Textualize/textual#6456; ``kiosk run`` starts it again rather than leave a shell."""
    driver = "textual.drivers.linux_driver:LinuxDriver"
    terminal, data = start_kiosk(tmp_path, TEXTUAL_DRIVER=driver)
    try:
        terminal.wait_for("Kort prøve")
        send_bytes(terminal, "e6", "20")
        log = wait_for_log(data, "starting it again")
        assert "without the organiser's Quit" in log
        terminal.wait_for("Kort prøve")
        terminal.keys("1")  # the new app answers keys
        terminal.wait_for("Hvor bor du")
        assert "KIOSK-EXITED" not in terminal.screen()
    finally:
        terminal.close()


def test_a_crash_in_the_app_brings_the_welcome_screen_back_with_the_store_intact(
    tmp_path: Path,
) -> None:
    terminal, data = start_kiosk(tmp_path, **{TEST_CRASH_ENV: "1"})
    try:
        terminal.wait_for("Kort prøve")
        terminal.keys("1")
        terminal.wait_for("Hvor bor du")
        terminal.keys("2")
        terminal.wait_for("Sig noget")
        terminal.keys("h", "e", "m", "m", "e", "l", "i", "g", "Enter")
        # saved, then the injected exception: the supervisor logs it and starts the app again
        log = wait_for_log(data, "starting it again")
        assert "RuntimeError at kiosk/app/app.py" in log
        terminal.wait_for("Kort prøve")
        screen = terminal.screen()
        assert "KIOSK-EXITED" not in screen and "Traceback" not in screen
        with RecordStore(data) as store:
            (record,) = store.records()
        assert record["answers"] == {"where": "south", "words": "hemmelig"}
        assert "hemmelig" not in log and "south" not in log  # no visitor data in the log
        terminal.keys("C-c", "C-\\", "C-z")  # still locked after the restart
        terminal.keys("1")
        terminal.wait_for("Hvor bor du")
        terminal.keys("Escape")
        terminal.wait_for("Kort prøve")
        terminal.keys("C-o")
        terminal.wait_for("DEMO-tilstand")
        terminal.keys("q")
        terminal.wait_for("KIOSK-EXITED-0")
        assert "the organiser quit the kiosk (run 2)" in wait_for_log(data, "organiser quit")
    finally:
        terminal.close()
