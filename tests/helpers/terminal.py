"""The kiosk in a real terminal: a tmux session we type into and read the screen of.

Every wait is bounded, and the session is killed whatever happens."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from kiosk.paths import PROJECT_ROOT

TMUX = shutil.which("tmux") or "/usr/bin/tmux"


def tmux(*args: str) -> str:
    done = subprocess.run([TMUX, *args], capture_output=True, text=True, timeout=10, check=True)
    return done.stdout


def kiosk_env(home: Path, **more: str) -> dict[str, str]:
    """The environment the kiosk runs with in a test terminal: this checkout on the path, a
    colour terminal, the user's home (``home`` when there is none), and ``more``."""
    return {
        "PYTHONPATH": str(PROJECT_ROOT),
        "TERM": "xterm-256color",
        "HOME": os.environ.get("HOME", str(home)),
        **more,
    }


class Terminal:
    """A detached tmux session of a fixed size (100x30 unless told) running one command."""

    def __init__(
        self, command: str, env: dict[str, str], width: int = 100, height: int = 30
    ) -> None:
        self.name = f"kiosk-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(width),
            "-y",
            str(height),
            f"env {exports} {command}; echo KIOSK-EXITED-$?; sleep 60",
        )

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, seconds: float = 20.0) -> str:
        deadline = time.monotonic() + seconds
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear; the screen shows:\n{shown}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        for key in keys:
            tmux("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def close(self) -> None:
        subprocess.run([TMUX, "kill-session", "-t", self.name], capture_output=True, timeout=10)
