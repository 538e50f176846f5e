"""``kiosk run`` keeps the kiosk app running: the visitor must never be left with a shell.

The app runs in a child process (a fork: everything ``kiosk run`` loaded and checked is there
already, so a restart is as quick as the first start). Any ending other than the organiser's
Quit (an exception in the app, a crash, a kill) starts it again after a short back-off; the
store is on disk, so everything saved before stays. Why the app stopped goes to
``DATA/kiosk-run.log``: the exception's type and where it was raised, never its message or
any value, which may hold what a visitor typed. Only many crashes in a short time make the
supervisor give up, with a one-line message naming the log.

While the supervisor waits, ctrl+c, ctrl+\\ and ctrl+z are ignored (by it and by the app it
starts): between two runs the terminal is briefly in its normal mode, where they would send
signals. SIGTERM and SIGHUP (the system stopping the kiosk) end the app and the supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOG_NAME = "kiosk-run.log"
log = logging.getLogger("kiosk.run")

#: What a child's exit code means: only this one is the organiser's Quit.
QUIT_CODE = 0
CRASH_CODE = 70  # EX_SOFTWARE

#: Terminal modes a crashed app may leave on: alternate screen, mouse reporting, bracketed
#: paste, focus events, hidden cursor. Then the screen and scrollback are cleared, so a
#: traceback that Textual printed (with local values) is not left for the next visitor.
_RESET_TERMINAL = (
    "\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"
    "\x1b[?2004l\x1b[?1004l\x1b[?25h\x1b[2J\x1b[3J\x1b[H"
)


@dataclass
class RestartPolicy:
    """When to start the app again: back-off doubling from ``first_delay`` to ``max_delay``
    (reset by a run of ``calm_after`` seconds), and give up at ``max_crashes`` within
    ``window`` seconds (a fault that no restart cures, like a broken survey file)."""

    first_delay: float = 0.5
    max_delay: float = 4.0
    max_crashes: int = 10
    window: float = 300.0
    calm_after: float = 60.0
    _crashes: list[float] = field(default_factory=list)
    _streak: int = 0

    def after_crash(self, now: float, ran_for: float) -> float | None:
        """Seconds to wait before the next start, or None to give up."""
        self._crashes = [t for t in self._crashes if now - t < self.window] + [now]
        if len(self._crashes) >= self.max_crashes:
            return None
        if ran_for >= self.calm_after:
            self._streak = 0
        delay = min(self.max_delay, self.first_delay * 2**self._streak)
        self._streak += 1
        return delay


def open_log(data_dir: Path) -> Path:
    """Send the ``kiosk.run`` log to ``DATA/kiosk-run.log`` (appended; never the terminal)."""
    path = data_dir / LOG_NAME
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return path


def describe_exception(exc: BaseException) -> str:
    """The type and the last frames of an exception: no message, no values (no visitor data)."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " <- ".join(f"{_short(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames))
    return f"{type(exc).__name__} at {where or 'an unknown place'}"


def _short(filename: str) -> str:
    """A path from the package down (``kiosk/app/app.py``, ``textual/app.py``)."""
    parts = Path(filename).parts
    for anchor in ("kiosk", "textual", "rich", "tinydb"):
        if anchor in parts:
            index = len(parts) - 1 - parts[::-1].index(anchor)
            return "/".join(parts[index:])
    return Path(filename).name


def describe_status(status: int) -> str:
    """Why a child process ended, from ``waitpid``'s status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"the app process was killed by {name}"
    return f"the app process exited with code {os.waitstatus_to_exitcode(status)}"


class _Terminal:
    """The terminal's settings before the app, put back after each run (a crash leaves raw
    mode behind)."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.saved: Any = None
        try:
            import termios

            fd = sys.stdin.fileno()
            if os.isatty(fd):
                self.fd, self.saved = fd, termios.tcgetattr(fd)
        except (ImportError, OSError, ValueError):
            pass

    def restore(self) -> None:
        if self.fd is None:
            return
        import termios

        try:
            termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
            # keys pressed while the app was down must not act on the next one
            termios.tcflush(self.fd, termios.TCIFLUSH)
            out = sys.__stderr__
            if out is not None and out.isatty():
                out.write(_RESET_TERMINAL)
                out.flush()
        except (OSError, termios.error):
            pass


def supervise(
    run_app: Callable[[], bool],
    *,
    policy: RestartPolicy | None = None,
    log_path: Path | None = None,
) -> int:
    """Run ``run_app`` (True when the organiser quit) in a child until the organiser quits.

    Returns the exit code for ``kiosk run``: 0 after the organiser's Quit, 1 on giving up.
    Where processes cannot be forked (Windows), the app runs once, unsupervised.
    """
    if not hasattr(os, "fork"):
        return QUIT_CODE if run_app() else CRASH_CODE
    policy = policy or RestartPolicy()
    watched = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTERM, signal.SIGHUP)
    before = {sig: signal.getsignal(sig) for sig in watched}
    try:
        return _supervise(run_app, policy, log_path)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _supervise(run_app: Callable[[], bool], policy: RestartPolicy, log_path: Path | None) -> int:
    terminal = _Terminal()
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)  # inherited by the app: no way out by signal
    child = 0
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    runs = 0
    while True:
        runs += 1
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        try:
            child = os.fork()
        except OSError as exc:  # no process to be had just now (memory, process limit)
            child, status, reason = 0, -1, f"the app could not be started ({exc.strerror})"
        else:
            if child == 0:  # pragma: no cover (the child; covered by the tmux tests)
                _child(run_app)
            _, status = os.waitpid(child, 0)
            child = 0
            reason = describe_status(status)
        ran_for = time.monotonic() - started
        if status >= 0 and os.WIFEXITED(status) and os.WEXITSTATUS(status) == QUIT_CODE:
            log.info("the organiser quit the kiosk (run %d)", runs)
            return QUIT_CODE
        terminal.restore()
        if stopping:
            log.info("stopped by the system (%s)", reason)
            return 128 + signal.SIGTERM
        delay = policy.after_crash(time.monotonic(), ran_for)
        if delay is None:
            log.error(
                "%s after %.1f s; %d stops within %.0f s: not starting it again",
                reason,
                ran_for,
                policy.max_crashes,
                policy.window,
            )
            where = f"; why is in {log_path}" if log_path else ""
            print(
                f"Error: the kiosk app stopped {policy.max_crashes} times within "
                f"{policy.window:.0f} s, so it is not started again{where}.",
                file=sys.stderr,
            )
            return 1
        log.warning("%s after %.1f s; starting it again in %.1f s", reason, ran_for, delay)
        time.sleep(delay)
        if stopping:
            return 128 + signal.SIGTERM


def _child(run_app: Callable[[], bool]) -> None:  # pragma: no cover (runs in the child)
    """Run the app in the forked child and leave with its exit code, never returning."""
    code = CRASH_CODE
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        code = QUIT_CODE if run_app() else CRASH_CODE
    except SystemExit as exc:  # a start-up check said no (its message is on stderr)
        log.error("the app did not start (exit %s)", exc.code)
        code = CRASH_CODE
    except BaseException as exc:
        log.error("the app raised %s", describe_exception(exc))
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
